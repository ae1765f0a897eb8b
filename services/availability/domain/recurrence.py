"""The contract's recurrence of plages and absences, expanded with dateutil.rrule.

`None` = once; `{"every": "week", "interval": 1..5, "on": ["monday", ...], "until": day|None}`;
`{"every": "month", "interval": 1..5, "on": {"tuesday": 2}, "until": day|None}` (2nd Tuesday, -1 = last).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

from dateutil import rrule

from services.availability.domain.errors import InvalidRule

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_RRULE_DAYS = (rrule.MO, rrule.TU, rrule.WE, rrule.TH, rrule.FR, rrule.SA, rrule.SU)


@dataclass(frozen=True)
class Recurrence:
    every: str  # "week" | "month"
    interval: int
    weekdays: tuple[int, ...] = ()  # weekly: 0 = Monday
    nth: tuple[int, int] | None = None  # monthly: (weekday, n) with n in 1..5 or -1
    until: date | None = None

    def to_json(self) -> dict:
        if self.every == "week":
            on: object = [WEEKDAYS[d] for d in self.weekdays]
        else:
            assert self.nth is not None
            on = {WEEKDAYS[self.nth[0]]: self.nth[1]}
        return {"every": self.every, "interval": self.interval, "on": on,
                "until": self.until.isoformat() if self.until else None}


def parse(raw: object) -> Recurrence | None:
    """Read the contract's JSON recurrence; raise InvalidRule with a French message."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise InvalidRule("recurrence", "La récurrence doit être null ou un objet.")
    every = raw.get("every")
    if every not in ("week", "month"):
        raise InvalidRule("recurrence.every", "La récurrence doit être « week » ou « month ».")
    interval = raw.get("interval", 1)
    if isinstance(interval, bool) or not isinstance(interval, int) or not 1 <= interval <= 5:
        raise InvalidRule("recurrence.interval", "L'intervalle de répétition doit être compris entre 1 et 5.")
    until = raw.get("until")
    if until is not None:
        try:
            until = date.fromisoformat(until) if isinstance(until, str) else None
        except ValueError:
            until = None
        if until is None:
            raise InvalidRule("recurrence.until", "Une date AAAA-MM-JJ est attendue.")
    on = raw.get("on")
    if every == "week":
        if not isinstance(on, list) or not on:
            raise InvalidRule("recurrence.on", "Choisissez au moins un jour de la semaine.")
        if any(d not in WEEKDAYS for d in on):
            raise InvalidRule("recurrence.on", "Jour de la semaine inconnu.")
        return Recurrence("week", interval, weekdays=tuple(sorted({WEEKDAYS.index(d) for d in on})), until=until)
    if not isinstance(on, dict) or len(on) != 1:
        raise InvalidRule("recurrence.on", "Choisissez un jour de la semaine et son rang dans le mois.")
    (day, n), = on.items()
    if day not in WEEKDAYS:
        raise InvalidRule("recurrence.on", "Jour de la semaine inconnu.")
    if isinstance(n, bool) or not isinstance(n, int) or n not in (1, 2, 3, 4, 5, -1):
        raise InvalidRule("recurrence.on", "Le rang dans le mois doit être 1 à 5, ou -1 (dernier).")
    return Recurrence("month", interval, nth=(WEEKDAYS.index(day), n), until=until)


def check_first_day(first_day: date, rec: Recurrence | None) -> None:
    """The first occurrence is on `first_day`, which must match `on`; `until` not before it."""
    if rec is None:
        return
    if rec.until is not None and rec.until < first_day:
        raise InvalidRule("recurrence.until", "La date de fin de répétition précède le premier jour.")
    if rec.every == "week":
        if first_day.weekday() not in rec.weekdays:
            raise InvalidRule("first_day", "Le premier jour doit être l'un des jours de répétition choisis.")
        return
    weekday, n = rec.nth  # type: ignore[misc]
    rank_ok = _is_last(first_day) if n == -1 else _nth_of(first_day) == n
    if first_day.weekday() != weekday or not rank_ok:
        raise InvalidRule("first_day", "Le premier jour doit correspondre au jour choisi dans le mois.")


def _nth_of(day: date) -> int:
    return (day.day - 1) // 7 + 1


def _is_last(day: date) -> bool:
    return (day + timedelta(days=7)).month != day.month


def _rule(first_day: date, rec: Recurrence) -> rrule.rrule:
    until = datetime.combine(rec.until, datetime.min.time()) if rec.until else None
    start = datetime.combine(first_day, datetime.min.time())
    if rec.every == "week":
        return rrule.rrule(rrule.WEEKLY, dtstart=start, interval=rec.interval, wkst=rrule.MO,
                           byweekday=[_RRULE_DAYS[d] for d in rec.weekdays], until=until)
    weekday, n = rec.nth  # type: ignore[misc]
    return rrule.rrule(rrule.MONTHLY, dtstart=start, interval=rec.interval,
                       byweekday=[_RRULE_DAYS[weekday](n)], until=until)


@lru_cache(maxsize=4096)
def days(first_day: date, rec: Recurrence | None, window_first: date, window_last: date) -> tuple[date, ...]:
    """Local days of the occurrences between two days (inclusive). Cached: plages share rules."""
    if rec is None:
        return (first_day,) if window_first <= first_day <= window_last else ()
    lo = max(first_day, window_first)
    hi = window_last if rec.until is None else min(window_last, rec.until)
    if lo > hi:
        return ()
    rule = _rule(first_day, rec)
    found = rule.between(datetime.combine(lo, datetime.min.time()),
                         datetime.combine(hi, datetime.min.time()), inc=True)
    return tuple(d.date() for d in found)


def last_day(first_day: date, rec: Recurrence | None) -> date | None:
    """The last possible day of occurrence (None = without end)."""
    if rec is None:
        return first_day
    return rec.until
