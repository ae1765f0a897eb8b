"""Agents placing an RDV themselves (a walk-in, a home visit, an RDV recorded after the fact):
`allow_outside_opening` turns availability's refusals into warnings; `slot_taken` still refuses;
an RDV may start in the past. RDV_NOW = Monday 2027-03-01 08:00 Paris; Monday 29 March 2027 is
Easter Monday (a holiday, the day after the spring DST change)."""
from __future__ import annotations

import uuid

import pytest

from tests.integration.booking.world import World, open_desk


def _absent(world: World, agent_id, day: str, start: str, end: str) -> None:
    world._avail("/v1/absences", {"agent_id": str(agent_id), "title": "Formation", "first_day": day,
                                  "start_time": start, "end_day": day, "end_time": end, "recurrence": None})


@pytest.fixture
def desk(world):
    """Open 09:00-12:00 on Tuesday 2 March and on Easter Monday; absent on 2 March 10:00-11:00."""
    desk = open_desk(world, days=("2027-03-02", "2027-03-29"), start="09:00", end="12:00")
    _absent(world, desk.agent_id, "2027-03-02", "10:00", "11:00")
    _absent(world, desk.agent_id, "2027-03-29", "14:00", "15:00")
    return desk


@pytest.mark.parametrize("starts_at, codes", [
    ("2027-03-02T14:00:00+01:00", ["outside_opening"]),  # a walk-in in the afternoon
    ("2027-03-02T10:15:00+01:00", ["agent_absent"]),
    ("2027-03-29T09:30:00+02:00", ["holiday"]),
    ("2027-03-29T14:00:00+02:00", ["holiday", "outside_opening", "agent_absent"]),
])
def test_each_refusal_becomes_a_warning(desk, starts_at, codes):
    refused = desk.book(starts_at)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == codes[0], refused.text
    placed = desk.book(starts_at, allow_outside_opening=True)
    assert placed.status_code == 201, placed.text
    rdv = placed.json()
    assert rdv["warnings"] == codes
    assert rdv["status"] == "unknown" and rdv["starts_at"] == starts_at
    with desk.world.client() as c:
        read = c.get(f"/v1/rdvs/{rdv['id']}").json()
    assert read == {k: v for k, v in rdv.items() if k != "warnings"}


def test_warnings_come_with_the_flag_only(desk):
    plain = desk.book("2027-03-02T09:00:00+01:00")
    assert plain.status_code == 201 and "warnings" not in plain.json()  # as before the flag existed
    explicit = desk.book("2027-03-02T11:00:00+01:00", allow_outside_opening=False)
    assert explicit.status_code == 201 and "warnings" not in explicit.json()
    flagged = desk.book("2027-03-02T11:30:00+01:00", allow_outside_opening=True)
    assert flagged.status_code == 201 and flagged.json()["warnings"] == []


def test_slot_taken_still_refuses_with_the_flag(desk):
    first = desk.book("2027-03-02T14:00:00+01:00", allow_outside_opening=True)
    assert first.status_code == 201, first.text
    for starts_at in ("2027-03-02T14:00:00+01:00", "2027-03-02T14:15:00+01:00", "2027-03-02T13:45:00+01:00"):
        again = desk.book(starts_at, allow_outside_opening=True)
        assert again.status_code == 409, again.text
        assert again.json()["error"]["code"] == "slot_taken"
        assert again.json()["error"]["details"]["rdv_id"] == first.json()["id"]


def test_unknown_motif_or_lieu_is_still_a_422(desk, world):
    unknown_motif = world.book(motif_id=str(uuid.uuid4()), lieu_id=desk.lieu_id, agent_ids=[desk.agent_id],
                               starts_at="2027-03-02T14:00:00+01:00", allow_outside_opening=True)
    assert unknown_motif.status_code == 422 and unknown_motif.json()["error"]["code"] == "unknown_motif"
    unknown_lieu = world.book(motif_id=desk.motif_id, lieu_id=str(uuid.uuid4()), agent_ids=[desk.agent_id],
                              starts_at="2027-03-02T14:00:00+01:00", allow_outside_opening=True)
    assert unknown_lieu.status_code == 422 and unknown_lieu.json()["error"]["code"] == "unknown_lieu"


def test_a_move_takes_the_flag_too(desk, world):
    rdv = desk.book("2027-03-02T09:00:00+01:00").json()
    url = f"/v1/rdvs/{rdv['id']}"
    with world.client() as c:
        refused = c.patch(url, json={"starts_at": "2027-03-02T15:00:00+01:00"})
        assert refused.status_code == 409 and refused.json()["error"]["code"] == "outside_opening"
        moved = c.patch(url, json={"starts_at": "2027-03-02T15:00:00+01:00", "allow_outside_opening": True})
        assert moved.status_code == 200, moved.text
        assert moved.json()["warnings"] == ["outside_opening"]
        assert moved.json()["starts_at"] == "2027-03-02T15:00:00+01:00"
        back = c.patch(url, json={"starts_at": "2027-03-02T09:30:00+01:00", "allow_outside_opening": True})
        assert back.status_code == 200 and back.json()["warnings"] == []
        context_only = c.patch(url, json={"context": "Venu sans RDV", "allow_outside_opening": True})
        assert context_only.status_code == 200 and context_only.json()["warnings"] == []
        assert "warnings" not in c.patch(url, json={"context": "Sans drapeau"}).json()


def test_an_agent_records_an_rdv_after_the_fact(world):
    """Last Friday's RDV, inside a plage (no flag needed) and outside one (flag): `a_renseigner` at once."""
    desk = open_desk(world, days=("2027-02-26",), start="09:00", end="12:00")
    inside = desk.book("2027-02-26T09:00:00+01:00")
    assert inside.status_code == 201, inside.text
    assert inside.json()["display_status"] == "a_renseigner"
    outside = desk.book("2027-02-26T16:00:00+01:00", allow_outside_opening=True)
    assert outside.status_code == 201, outside.text
    assert outside.json()["display_status"] == "a_renseigner"
    assert outside.json()["warnings"] == ["outside_opening"]
    with world.client() as c:
        seen = c.post(f"/v1/rdvs/{outside.json()['id']}/status", json={"status": "seen"})
    assert seen.status_code == 200 and seen.json()["display_status"] == "seen"


def test_public_booking_still_refuses_the_past(world):
    lieu = world.lieu()
    motif = world.motif(reservable_online=True, min_booking_delay_minutes=0, max_booking_delay_days=30)
    world.plage(agent_id=uuid.uuid4(), lieu_id=lieu, motif_ids=[motif], first_day="2027-03-01", start="06:00",
                end="12:00")
    body = {"motif_id": motif, "lieu_id": lieu, "usager_id": str(uuid.uuid4()), "allow_outside_opening": True}
    with world.client(world.identity(kind="public")) as c:
        past = c.post("/v1/public/rdvs", json={**body, "starts_at": "2027-03-01T07:00:00+01:00"})
        assert past.status_code == 409 and past.json()["error"]["code"] == "outside_opening", past.text
        future = c.post("/v1/public/rdvs", json={**body, "starts_at": "2027-03-01T10:00:00+01:00"})
        assert future.status_code == 201, future.text
