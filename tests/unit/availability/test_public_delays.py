"""Booking delays on the public page filter the agents' grid; they never move where slots are cut."""
from __future__ import annotations

import uuid
from datetime import date

from services.availability.domain.creneaux import Inputs, search, within_booking_delays
from services.availability.service_layer.views import iso_epoch
from tests.unit.availability.factories import PARIS, plage, ts, weekly

AGENT = uuid.UUID(int=100)


def _public(plages, first, last, *, duration, now, min_minutes, max_days=90):
    inputs = Inputs(plages=list(plages), absences=[], busy=[], zone=PARIS, holidays={})
    within = within_booking_delays(now, min_minutes=min_minutes, max_days=max_days)
    grid = search(inputs, first, last, duration_minutes=duration, now=now)
    return [iso_epoch(c.starts_at, PARIS) for c in grid if within(c)], [iso_epoch(c.starts_at, PARIS) for c in grid]


def test_a_24_hour_delay_keeps_the_grid_of_the_plage():
    """Plage 09:00-18:00 every weekday, motif of 45 min, 24 h delay, asked at 15:31 on Monday 1 March 2027:
    Tuesday's slots start at 09:00, 09:45, 10:30... and those before Tuesday 15:31 are filtered out; the
    first one offered is 15:45 (09:00 + 9 x 45 min), then 16:30, 17:15. Never 15:35 or 16:20."""
    p = plage(AGENT, first_day=date(2027, 3, 1), start="09:00", end="18:00",
              recurrence=weekly("monday", "tuesday", "wednesday", "thursday", "friday"))
    now = ts("2027-03-01T15:31:00+01:00")
    offered, grid = _public([p], date(2027, 3, 2), date(2027, 3, 2), duration=45, now=now, min_minutes=24 * 60)
    assert offered == ["2027-03-02T15:45:00+01:00", "2027-03-02T16:30:00+01:00", "2027-03-02T17:15:00+01:00"]
    assert set(offered) <= set(grid)


def test_a_30_minute_delay_in_a_plage_already_begun():
    """Plage 09:00-12:00, motif of 20 min, 30 min delay, asked at 10:07: the agents' grid is cut from now
    rounded up to 5 minutes (10:10, 10:30, 10:50, 11:10, 11:30); the public page keeps the starts at or
    after 10:37: 10:50, 11:10, 11:30."""
    p = plage(AGENT, first_day=date(2027, 3, 1), start="09:00", end="12:00")
    now = ts("2027-03-01T10:07:00+01:00")
    offered, grid = _public([p], date(2027, 3, 1), date(2027, 3, 1), duration=20, now=now, min_minutes=30)
    assert grid == ["2027-03-01T10:10:00+01:00", "2027-03-01T10:30:00+01:00", "2027-03-01T10:50:00+01:00",
                    "2027-03-01T11:10:00+01:00", "2027-03-01T11:30:00+01:00"]
    assert offered == ["2027-03-01T10:50:00+01:00", "2027-03-01T11:10:00+01:00", "2027-03-01T11:30:00+01:00"]


def test_a_start_exactly_at_the_minimum_delay_is_offered_and_the_maximum_bounds_the_far_end():
    p = plage(AGENT, first_day=date(2027, 3, 1), start="09:00", end="10:00",
              recurrence=weekly("monday", "tuesday", "wednesday", "thursday", "friday"))
    now = ts("2027-03-01T09:00:00+01:00")
    offered, _ = _public([p], date(2027, 3, 1), date(2027, 3, 3), duration=30, now=now, min_minutes=30,
                         max_days=1)
    assert offered == ["2027-03-01T09:30:00+01:00", "2027-03-02T09:00:00+01:00"]


def test_the_delay_across_the_dst_change_counts_real_time():
    """48 h of delay asked on Saturday 27 March 2027 at 10:00 CET (09:00 UTC) end on Monday 29 March at
    09:00 UTC, 11:00 CEST: the clocks went forward in between, so a wall-clock reading (Monday 10:00) would
    offer one slot too early. Plage 09:00-12:00, 60 min slots: only 11:00 is offered."""
    p = plage(AGENT, first_day=date(2027, 3, 29), start="09:00", end="12:00")
    now = ts("2027-03-27T10:00:00+01:00")
    offered, grid = _public([p], date(2027, 3, 29), date(2027, 3, 29), duration=60, now=now, min_minutes=48 * 60)
    assert grid == ["2027-03-29T09:00:00+02:00", "2027-03-29T10:00:00+02:00", "2027-03-29T11:00:00+02:00"]
    assert offered == ["2027-03-29T11:00:00+02:00"]
