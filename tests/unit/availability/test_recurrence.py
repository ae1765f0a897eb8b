from datetime import date

import pytest

from services.availability.domain import recurrence as rec
from services.availability.domain.errors import InvalidRule


def weekly(on, interval=1, until=None):
    return rec.parse({"every": "week", "interval": interval, "on": on, "until": until})


def test_once_is_only_first_day():
    assert rec.days(date(2027, 3, 3), None, date(2027, 3, 1), date(2027, 3, 31)) == (date(2027, 3, 3),)
    assert rec.days(date(2027, 3, 3), None, date(2027, 3, 4), date(2027, 3, 31)) == ()


def test_weekly_every_two_weeks_on_monday_and_thursday_until():
    r = weekly(["monday", "thursday"], interval=2, until="2027-03-25")
    assert rec.days(date(2027, 3, 1), r, date(2027, 3, 1), date(2027, 4, 30)) == (
        date(2027, 3, 1), date(2027, 3, 4), date(2027, 3, 15), date(2027, 3, 18))


def test_weekly_window_starting_later_keeps_the_cycle_of_first_day():
    r = weekly(["wednesday"], interval=3)
    assert rec.days(date(2027, 1, 6), r, date(2027, 2, 1), date(2027, 2, 28)) == (date(2027, 2, 17),)


def test_monthly_nth_and_last_weekday():
    second_tuesday = rec.parse({"every": "month", "interval": 1, "on": {"tuesday": 2}, "until": None})
    assert rec.days(date(2027, 1, 12), second_tuesday, date(2027, 1, 1), date(2027, 4, 30)) == (
        date(2027, 1, 12), date(2027, 2, 9), date(2027, 3, 9), date(2027, 4, 13))
    last_friday = rec.parse({"every": "month", "interval": 2, "on": {"friday": -1}, "until": None})
    rec.check_first_day(date(2027, 1, 29), last_friday)
    assert rec.days(date(2027, 1, 29), last_friday, date(2027, 1, 1), date(2027, 6, 30)) == (
        date(2027, 1, 29), date(2027, 3, 26), date(2027, 5, 28))


@pytest.mark.parametrize("raw, field", [
    ({"every": "week", "interval": 1, "on": []}, "recurrence.on"),
    ({"every": "week", "interval": 0, "on": ["monday"]}, "recurrence.interval"),
    ({"every": "week", "interval": 6, "on": ["monday"]}, "recurrence.interval"),
    ({"every": "week", "interval": 1, "on": ["lundi"]}, "recurrence.on"),
    ({"every": "day", "interval": 1, "on": ["monday"]}, "recurrence.every"),
    ({"every": "month", "interval": 1, "on": {"tuesday": 6}}, "recurrence.on"),
    ({"every": "week", "interval": 1, "on": ["monday"], "until": "demain"}, "recurrence.until"),
])
def test_invalid_recurrences_are_refused_with_the_field(raw, field):
    with pytest.raises(InvalidRule) as err:
        rec.parse(raw)
    assert err.value.field == field


def test_first_day_must_match_on():
    with pytest.raises(InvalidRule) as err:
        rec.check_first_day(date(2027, 3, 2), weekly(["monday"]))  # a Tuesday
    assert err.value.field == "first_day"
    second_tuesday = rec.parse({"every": "month", "interval": 1, "on": {"tuesday": 2}})
    with pytest.raises(InvalidRule):
        rec.check_first_day(date(2027, 3, 2), second_tuesday)  # first Tuesday
    last_tuesday = rec.parse({"every": "month", "interval": 1, "on": {"tuesday": -1}})
    with pytest.raises(InvalidRule):
        rec.check_first_day(date(2027, 3, 23), last_tuesday)  # 30 March is the last
    rec.check_first_day(date(2027, 3, 30), last_tuesday)


def test_recurrence_round_trips_to_json():
    raw = {"every": "week", "interval": 2, "on": ["monday", "friday"], "until": "2027-12-31"}
    assert rec.parse(raw).to_json() == raw
    raw = {"every": "month", "interval": 1, "on": {"thursday": -1}, "until": None}
    assert rec.parse(raw).to_json() == raw
