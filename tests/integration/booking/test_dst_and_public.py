"""RDVs on DST days (Paris: 28 March and 31 October 2027), public booking, availability down."""
from __future__ import annotations

import uuid

from tests.integration.booking.world import open_desk
from tests.support.service import start_service


def test_spring_forward_day(world):
    desk = open_desk(world, days=("2027-03-28",), start="00:00", end="12:00", duration=60)
    across = desk.book("2027-03-28T01:30:00+01:00")  # one real hour, across the 02:00 -> 03:00 jump
    assert across.status_code == 201, across.text
    assert across.json()["ends_at"] == "2027-03-28T03:30:00+02:00"
    assert desk.book("2027-03-28T03:00:00+02:00").json()["error"]["code"] == "slot_taken"
    after = desk.book("2027-03-28T03:30:00+02:00")
    assert after.status_code == 201 and after.json()["starts_at"] == "2027-03-28T03:30:00+02:00"
    with world.client() as c:
        day = c.get("/v1/rdvs", params={"agent_id": str(desk.agent_id), "from": "2027-03-28", "to": "2027-03-28"})
        assert [r["starts_at"] for r in day.json()["items"]] == ["2027-03-28T01:30:00+01:00",
                                                                 "2027-03-28T03:30:00+02:00"]
        before = c.get("/v1/rdvs", params={"agent_id": str(desk.agent_id), "to": "2027-03-27"}).json()
        assert before["total"] == 0


def test_fall_back_day_keeps_both_half_past_two(world):
    desk = open_desk(world, days=("2027-10-31",), start="00:00", end="12:00", duration=30)
    first = desk.book("2027-10-31T02:30:00+02:00")
    second = desk.book("2027-10-31T02:30:00+01:00")  # one hour later in real time, same wall clock
    assert first.status_code == 201 and second.status_code == 201, (first.text, second.text)
    assert second.json()["ends_at"] == "2027-10-31T03:00:00+01:00"
    assert desk.book("2027-10-31T01:45:00Z").json()["error"]["code"] == "slot_taken"  # = 02:45+01:00
    with world.client() as c:
        day = c.get("/v1/rdvs", params={"agent_id": str(desk.agent_id), "from": "2027-10-31", "to": "2027-10-31"})
        assert [r["starts_at"] for r in day.json()["items"]] == ["2027-10-31T02:30:00+02:00",
                                                                 "2027-10-31T02:30:00+01:00"]
        moved = c.patch(f"/v1/rdvs/{first.json()['id']}", json={"starts_at": "2027-10-31T01:15:00Z"})
        assert moved.status_code == 409 and moved.json()["error"]["details"]["rdv_id"] == second.json()["id"]


def test_public_booking_picks_an_agent_and_records_the_usager_origin(world):
    lieu = world.lieu()
    motif = world.motif(reservable_online=True, min_booking_delay_minutes=60, max_booking_delay_days=30)
    agent = uuid.uuid4()
    world.plage(agent_id=agent, lieu_id=lieu, motif_ids=[motif], first_day="2027-03-03", start="09:00", end="12:00")
    usager = uuid.uuid4()
    body = {"motif_id": motif, "lieu_id": lieu, "starts_at": "2027-03-03T09:30:00+01:00", "usager_id": str(usager)}
    with world.client(world.identity(kind="public")) as c:
        resp = c.post("/v1/public/rdvs", json=body)
        assert resp.status_code == 201, resp.text
        rdv = resp.json()
        assert rdv["agent_ids"] == [str(agent)] and rdv["usager_ids"] == [str(usager)]
        assert rdv["created_by"] is None and rdv["ends_at"] == "2027-03-03T10:00:00+01:00"
        again = c.post("/v1/public/rdvs", json=body)
        assert again.status_code == 409 and again.json()["error"]["code"] in ("slot_taken", "outside_opening")
    with world.client() as c:
        assert c.post("/v1/public/rdvs", json=body).status_code == 403
        assert rdv["allowed_statuses"] == []  # the usager cannot set a status
        assert c.get(f"/v1/rdvs/{rdv['id']}").json() == {**rdv, "allowed_statuses": ["excused", "revoked"]}


def test_availability_down_is_a_503_and_writes_nothing(infra, world, clock_env):
    from rdv.embedded import free_port

    lonely = start_service("booking", infra, env={**clock_env, "AVAILABILITY_URL": f"http://127.0.0.1:{free_port()}"})
    try:
        with lonely.client(world.admin) as c:
            resp = c.post("/v1/rdvs", json={"motif_id": str(uuid.uuid4()), "agent_ids": [str(uuid.uuid4())],
                                            "usager_ids": [str(uuid.uuid4())],
                                            "starts_at": "2027-03-02T09:00:00+01:00"})
            assert resp.status_code == 503 and resp.json()["error"]["code"] == "service_unavailable"
            assert c.get("/v1/rdvs").json()["total"] == 0
    finally:
        lonely.stop()
