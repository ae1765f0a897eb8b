"""Idempotency-Key: a retried create returns the first RDV and changes nothing."""
from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

from tests.integration.booking.world import open_desk


def test_retried_create_returns_the_first_rdv(world):
    desk = open_desk(world)
    key = {"Idempotency-Key": uuid.uuid4().hex}
    usager = uuid.uuid4()
    first = desk.book("2027-03-02T09:00:00+01:00", usager_ids=[usager], headers=key)
    again = desk.book("2027-03-02T09:00:00+01:00", usager_ids=[usager], headers=key)
    assert first.status_code == 201 and again.status_code == 201
    assert again.json() == first.json()
    other = desk.book("2027-03-02T11:00:00+01:00", usager_ids=[usager], headers=key)
    assert other.status_code == 409 and other.json()["error"]["code"] == "idempotency_key_reused"
    with world.client() as c:
        assert c.get("/v1/rdvs", params={"agent_id": str(desk.agent_id)}).json()["total"] == 1


def test_concurrent_retries_with_one_key_make_one_rdv(world):
    desk = open_desk(world)
    key = {"Idempotency-Key": uuid.uuid4().hex}
    usager = uuid.uuid4()
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: desk.book("2027-03-02T10:00:00+01:00", usager_ids=[usager], headers=key),
                                range(8)))
    assert [r.status_code for r in results] == [201] * 8
    assert len({r.json()["id"] for r in results}) == 1
    with world.client() as c:
        assert c.get("/v1/rdvs", params={"agent_id": str(desk.agent_id)}).json()["total"] == 1


def test_the_same_key_in_another_organisation_is_another_request(world, booking_service, availability_service):
    from tests.integration.booking.world import World

    key = {"Idempotency-Key": "same-key-" + uuid.uuid4().hex}
    a = open_desk(world).book("2027-03-02T09:00:00+01:00", headers=key)
    other = World(booking_service, availability_service)
    b = open_desk(other).book("2027-03-02T09:00:00+01:00", headers=key)
    assert a.status_code == b.status_code == 201 and a.json()["id"] != b.json()["id"]


def test_a_retry_is_answered_even_when_the_slot_has_closed_since(world):
    """The first try went through, then the plage was deleted: the retry gets the first RDV, not a refusal."""
    agent, lieu, motif = uuid.uuid4(), world.lieu(), world.motif()
    plage = world.plage(agent_id=agent, lieu_id=lieu, motif_ids=[motif], first_day="2027-03-02",
                        start="09:00", end="12:00")
    key = {"Idempotency-Key": uuid.uuid4().hex}
    body = dict(motif_id=motif, lieu_id=lieu, agent_ids=[agent], usager_ids=[uuid.uuid4()],
                starts_at="2027-03-02T09:00:00+01:00", headers=key)
    first = world.book(**body)
    assert first.status_code == 201
    with world.availability.client(world.admin) as c:
        assert c.delete(f"/v1/plages/{plage}").status_code in (200, 204)
    refused = world.book(**{**body, "headers": {}, "starts_at": "2027-03-02T10:00:00+01:00"})
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "outside_opening"
    again = world.book(**body)
    assert again.status_code == 201 and again.json() == first.json()
