"""Why a start is not free, and booking's check."""
from __future__ import annotations

import uuid
from datetime import date, datetime, timezone

from services.availability.domain.jours_feries import between
from services.availability.domain.model import BusyRdv
from services.availability.domain.verdict import check, explain
from tests.unit.availability.factories import ORG, PARIS, absence, plage, ts

AGENT = uuid.UUID(int=100)
DAY = date(2027, 5, 5)


def _explain(start: str, *, absences=(), busy=(), now="2027-05-01T00:00:00+02:00", minutes=30, day=DAY):
    p = plage(AGENT, first_day=day, start="09:00", end="12:00")
    s = ts(start)
    return [r.message for r in explain(organisation_id=ORG, plages=[p], absences=list(absences), busy=list(busy),
                                       holidays=between(day, day, "metropole"), zone=PARIS, start=s,
                                       end=s + minutes * 60, now=ts(now))]


def test_free_start_has_no_reason():
    assert _explain("2027-05-05T09:30:00+02:00") == []


def test_every_reason_is_listed():
    rdv = BusyRdv(id=uuid.UUID(int=42), organisation_id=ORG, agent_ids=[AGENT],
                  starts_at=datetime(2027, 5, 5, 9, 45, tzinfo=timezone.utc).replace(hour=7),
                  ends_at=datetime(2027, 5, 5, 8, 15, tzinfo=timezone.utc), status="unknown")
    reasons = _explain("2027-05-05T11:50:00+02:00", absences=[absence(AGENT, first_day=DAY, title="Formation")],
                       busy=[rdv], now="2027-05-06T00:00:00+02:00")
    assert reasons == ["dans le passé", "en dehors de toute plage d'ouverture", "absence Formation"]
    reasons = _explain("2027-05-05T09:40:00+02:00", busy=[rdv])
    assert reasons == [f"RDV {rdv.id}"]
    rdv.status = "revoked"
    assert _explain("2027-05-05T09:40:00+02:00", busy=[rdv]) == []


def test_holiday_reason_names_it():
    assert _explain("2027-05-06T09:30:00+02:00", day=date(2027, 5, 6)) == ["jour férié Ascension"]


def test_check_reports_holiday_then_opening_then_absence():
    p = plage(AGENT, first_day=DAY, start="09:00", end="12:00")
    holidays = between(date(2027, 5, 1), date(2027, 5, 9), "metropole")

    def code(start, absences=(), lieu=None):
        s = ts(start)
        r = check(plages=[p], absences=list(absences), holidays=holidays, zone=PARIS, start=s, end=s + 1800,
                  lieu_id=lieu)
        return r.code if r else None

    assert code("2027-05-05T09:00:00+02:00") is None
    assert code("2027-05-05T11:45:00+02:00") == "outside_opening"
    assert code("2027-05-05T09:00:00+02:00", lieu=uuid.uuid4()) == "outside_opening"
    assert code("2027-05-08T09:00:00+02:00") == "holiday"
    assert code("2027-05-05T09:00:00+02:00", [absence(AGENT, first_day=DAY)]) == "agent_absent"
