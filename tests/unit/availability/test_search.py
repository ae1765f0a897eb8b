"""The contract's créneaux rules on domain objects, DST weeks of 2027 included."""
from __future__ import annotations

import uuid
from datetime import date

from services.availability.domain.creneaux import Inputs, first_available, search
from services.availability.domain.jours_feries import between
from tests.unit.availability.factories import PARIS, absence, plage, ts, weekly

AGENT = uuid.UUID(int=100)
OTHER = uuid.UUID(int=200)
LONG_AGO = ts("2020-01-01T00:00:00+00:00")


def starts(items, zone_offset=None):
    from services.availability.service_layer.views import iso_epoch

    return [iso_epoch(c.starts_at, PARIS) for c in items]


def inputs(plages, absences=(), busy=(), holidays=None):
    return Inputs(plages=list(plages), absences=list(absences), busy=list(busy), zone=PARIS,
                  holidays=holidays or {})


def test_free_interval_cut_from_start_and_remainder_dropped():
    p = plage(AGENT, first_day=date(2027, 3, 1), start="09:00", end="10:40")
    found = search(inputs([p]), date(2027, 3, 1), date(2027, 3, 1), duration_minutes=30, now=LONG_AGO)
    assert starts(found) == ["2027-03-01T09:00:00+01:00", "2027-03-01T09:30:00+01:00", "2027-03-01T10:00:00+01:00"]
    assert found[0].ends_at - found[0].starts_at == 1800


def test_busy_rdv_and_absence_split_the_plage():
    p = plage(AGENT, first_day=date(2027, 3, 1), start="09:00", end="12:00")
    busy = [(AGENT, ts("2027-03-01T09:40:00+01:00"), ts("2027-03-01T10:00:00+01:00"))]
    a = absence(AGENT, first_day=date(2027, 3, 1), start="11:00", end="11:20")
    found = search(inputs([p], [a], busy), date(2027, 3, 1), date(2027, 3, 1), duration_minutes=30, now=LONG_AGO)
    assert starts(found) == ["2027-03-01T09:00:00+01:00", "2027-03-01T10:00:00+01:00",
                             "2027-03-01T10:30:00+01:00", "2027-03-01T11:20:00+01:00"]


def test_another_agents_rdv_does_not_block():
    p = plage(AGENT, first_day=date(2027, 3, 1), start="09:00", end="10:00")
    busy = [(OTHER, ts("2027-03-01T09:00:00+01:00"), ts("2027-03-01T10:00:00+01:00"))]
    assert len(search(inputs([p], busy=busy), date(2027, 3, 1), date(2027, 3, 1), duration_minutes=30,
                      now=LONG_AGO)) == 2


def test_interval_begun_before_now_starts_at_now_rounded_up_to_five_minutes():
    p = plage(AGENT, first_day=date(2027, 3, 1), start="09:00", end="11:00")
    now = ts("2027-03-01T09:31:20+01:00")
    found = search(inputs([p]), date(2027, 3, 1), date(2027, 3, 1), duration_minutes=30, now=now)
    assert starts(found) == ["2027-03-01T09:35:00+01:00", "2027-03-01T10:05:00+01:00"]


def test_holiday_closes_the_whole_day():
    p = plage(AGENT, first_day=date(2027, 5, 3), start="09:00", end="10:00",
              recurrence=weekly("monday", "tuesday", "wednesday", "thursday", "friday", "saturday"))
    found = search(inputs([p], holidays=between(date(2027, 5, 3), date(2027, 5, 9), "metropole")),
                   date(2027, 5, 3), date(2027, 5, 9), duration_minutes=60, now=LONG_AGO)
    days = [s[:10] for s in starts(found)]
    assert days == ["2027-05-03", "2027-05-04", "2027-05-05", "2027-05-07"]  # Ascension 6 May, 8 May


def test_agents_absence_of_another_organisation_blocks_too():
    p = plage(AGENT, first_day=date(2027, 3, 1), start="09:00", end="10:00")
    a = absence(AGENT, first_day=date(2027, 3, 1), org=uuid.uuid4())
    assert search(inputs([p], [a]), date(2027, 3, 1), date(2027, 3, 1), duration_minutes=30, now=LONG_AGO) == []


def test_multi_day_absence_begun_before_the_window_blocks():
    p = plage(AGENT, first_day=date(2027, 3, 1), start="09:00", end="10:00", recurrence=weekly("monday", "wednesday"))
    a = absence(AGENT, first_day=date(2027, 2, 26), start="12:00", end_day=date(2027, 3, 3), end="09:30")
    found = search(inputs([p], [a]), date(2027, 3, 1), date(2027, 3, 5), duration_minutes=30, now=LONG_AGO)
    assert starts(found) == ["2027-03-03T09:30:00+01:00"]


def test_recurring_absence_every_wednesday_morning():
    p = plage(AGENT, first_day=date(2027, 3, 1), start="09:00", end="10:00", recurrence=weekly("monday", "wednesday"))
    a = absence(AGENT, first_day=date(2027, 3, 3), start="08:00", end="12:00", recurrence=weekly("wednesday"))
    found = search(inputs([p], [a]), date(2027, 3, 1), date(2027, 3, 14), duration_minutes=60, now=LONG_AGO)
    assert [s[:10] for s in starts(found)] == ["2027-03-01", "2027-03-08"]


def test_spring_forward_week_keeps_wall_times():
    # Sunday 28 March 2027: 02:00 -> 03:00 in Paris.
    p = plage(AGENT, first_day=date(2027, 3, 26), start="09:00", end="10:00",
              recurrence=weekly("monday", "friday", "sunday"))
    found = search(inputs([p]), date(2027, 3, 26), date(2027, 3, 29), duration_minutes=60, now=LONG_AGO)
    assert starts(found) == ["2027-03-26T09:00:00+01:00", "2027-03-28T09:00:00+02:00", "2027-03-29T09:00:00+02:00"]


def test_spring_forward_night_plage_is_one_hour_shorter():
    p = plage(AGENT, first_day=date(2027, 3, 28), start="01:00", end="04:00")
    found = search(inputs([p]), date(2027, 3, 28), date(2027, 3, 28), duration_minutes=60, now=LONG_AGO)
    assert starts(found) == ["2027-03-28T01:00:00+01:00", "2027-03-28T03:00:00+02:00"]


def test_fall_back_night_plage_is_one_hour_longer():
    # Sunday 31 October 2027: 03:00 -> 02:00 in Paris.
    p = plage(AGENT, first_day=date(2027, 10, 31), start="01:00", end="04:00")
    found = search(inputs([p]), date(2027, 10, 31), date(2027, 10, 31), duration_minutes=60, now=LONG_AGO)
    assert starts(found) == ["2027-10-31T01:00:00+02:00", "2027-10-31T02:00:00+02:00",
                             "2027-10-31T02:00:00+01:00", "2027-10-31T03:00:00+01:00"]


def test_fall_back_week_keeps_wall_times_and_holiday_all_saints():
    p = plage(AGENT, first_day=date(2027, 10, 29), start="14:00", end="15:00",
              recurrence=weekly("monday", "tuesday", "friday"))
    found = search(inputs([p], holidays=between(date(2027, 10, 29), date(2027, 11, 2), "metropole")),
                   date(2027, 10, 29), date(2027, 11, 2), duration_minutes=60, now=LONG_AGO)
    assert starts(found) == ["2027-10-29T14:00:00+02:00", "2027-11-02T14:00:00+01:00"]  # 1 Nov: Toussaint


def test_overlapping_plages_of_one_agent_give_no_overlapping_slots():
    lieu_a, lieu_b = uuid.UUID(int=1), uuid.UUID(int=2)
    p1 = plage(AGENT, first_day=date(2027, 3, 1), start="09:00", end="10:00", lieu=lieu_a)
    p2 = plage(AGENT, first_day=date(2027, 3, 1), start="09:15", end="11:00", lieu=lieu_b)
    found = search(inputs([p1, p2]), date(2027, 3, 1), date(2027, 3, 1), duration_minutes=30, now=LONG_AGO)
    assert [(s, c.lieu_id) for s, c in zip(starts(found), found)] == [
        ("2027-03-01T09:00:00+01:00", lieu_a), ("2027-03-01T09:30:00+01:00", lieu_a),
        ("2027-03-01T10:00:00+01:00", lieu_b), ("2027-03-01T10:30:00+01:00", lieu_b)]


def test_sorted_by_start_then_agent():
    a, b = uuid.UUID(int=5), uuid.UUID(int=3)
    found = search(inputs([plage(a, first_day=date(2027, 3, 1), start="09:00", end="10:00"),
                           plage(b, first_day=date(2027, 3, 1), start="09:30", end="10:30")]),
                   date(2027, 3, 1), date(2027, 3, 1), duration_minutes=30, now=LONG_AGO)
    assert [(s[11:16], c.agent_id) for s, c in zip(starts(found), found)] == [
        ("09:00", a), ("09:30", b), ("09:30", a), ("10:00", b)]


def test_first_available_searches_chunk_by_chunk():
    p = plage(AGENT, first_day=date(2027, 6, 15), start="09:00", end="10:00")
    found = first_available(inputs([p]), date(2027, 3, 1), date(2027, 9, 1), duration_minutes=30, now=LONG_AGO)
    assert starts([found]) == ["2027-06-15T09:00:00+02:00"]
    assert first_available(inputs([p]), date(2027, 7, 1), date(2027, 9, 1), duration_minutes=30,
                           now=LONG_AGO) is None


def test_absence_across_the_spring_change_ends_at_its_wall_time():
    p = plage(AGENT, first_day=date(2027, 3, 26), start="09:00", end="11:00",
              recurrence=weekly("monday", "tuesday", "friday", "saturday", "sunday"))
    a = absence(AGENT, first_day=date(2027, 3, 27), start="12:00", end_day=date(2027, 3, 29), end="10:00")
    found = search(inputs([p], [a]), date(2027, 3, 26), date(2027, 3, 30), duration_minutes=60, now=LONG_AGO)
    assert starts(found) == ["2027-03-26T09:00:00+01:00", "2027-03-26T10:00:00+01:00",
                             "2027-03-27T09:00:00+01:00", "2027-03-27T10:00:00+01:00",
                             "2027-03-29T10:00:00+02:00", "2027-03-30T09:00:00+02:00", "2027-03-30T10:00:00+02:00"]
