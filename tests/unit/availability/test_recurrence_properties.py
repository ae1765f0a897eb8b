"""Property tests: rrule expansion equals a day-by-day reading of the contract's recurrence."""
from __future__ import annotations

from datetime import date, timedelta

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from services.availability.domain import recurrence as rec

WEEKDAYS = rec.WEEKDAYS
days_2027 = st.dates(min_value=date(2026, 6, 1), max_value=date(2028, 6, 1))


def weekly_reference(first: date, r: rec.Recurrence, lo: date, hi: date) -> list[date]:
    monday = first - timedelta(days=first.weekday())
    out, day = [], max(first, lo)
    while day <= hi and (r.until is None or day <= r.until):
        if day.weekday() in r.weekdays and ((day - monday).days // 7) % r.interval == 0:
            out.append(day)
        day += timedelta(days=1)
    return out


def monthly_reference(first: date, r: rec.Recurrence, lo: date, hi: date) -> list[date]:
    weekday, n = r.nth  # type: ignore[misc]
    out, day = [], max(first, lo)
    while day <= hi and (r.until is None or day <= r.until):
        months = (day.year * 12 + day.month) - (first.year * 12 + first.month)
        rank_ok = ((day.day - 1) // 7 + 1 == n) or (n == -1 and (day + timedelta(days=7)).month != day.month)
        if day.weekday() == weekday and rank_ok and months % r.interval == 0:
            out.append(day)
        day += timedelta(days=1)
    return out


@settings(max_examples=200, deadline=None)
@given(first=days_2027, on=st.sets(st.sampled_from(WEEKDAYS), min_size=1), interval=st.integers(1, 5),
       until=st.none() | st.integers(0, 200), lo=st.integers(-30, 200), span=st.integers(0, 120))
def test_weekly(first, on, interval, until, lo, span):
    r = rec.parse({"every": "week", "interval": interval, "on": sorted(on),
                   "until": (first + timedelta(days=until)).isoformat() if until is not None else None})
    first = first + timedelta(days=(r.weekdays[0] - first.weekday()) % 7)  # must match `on`
    assume(r.until is None or r.until >= first)
    window = (first + timedelta(days=lo), first + timedelta(days=lo + span))
    assert list(rec.days(first, r, *window)) == weekly_reference(first, r, *window)


@settings(max_examples=200, deadline=None)
@given(first=days_2027, weekday=st.integers(0, 6), n=st.sampled_from([1, 2, 3, 4, -1]), interval=st.integers(1, 5),
       lo=st.integers(-30, 400), span=st.integers(0, 400))
def test_monthly(first, weekday, n, interval, lo, span):
    r = rec.parse({"every": "month", "interval": interval, "on": {WEEKDAYS[weekday]: n}, "until": None})
    candidates = monthly_reference(first.replace(day=1), rec.Recurrence("month", 1, nth=(weekday, n)),
                                   first.replace(day=1), first.replace(day=1) + timedelta(days=40))
    first = candidates[0]  # the first matching day from that month on
    rec.check_first_day(first, r)
    window = (first + timedelta(days=lo), first + timedelta(days=lo + span))
    assert list(rec.days(first, r, *window)) == monthly_reference(first, r, *window)
