"""No two active RDVs of one agent overlap, whatever the concurrency: the database decides."""
from __future__ import annotations

import random
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import psycopg

from tests.integration.booking.world import open_desk


def _parallel(calls):
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(lambda f: f(), calls))


def _overlaps(booking) -> int:
    url = booking.database_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url) as conn:
        return conn.execute(
            "select count(*) from rdv_agents a join rdv_agents b on a.agent_id = b.agent_id "
            "and a.rdv_id < b.rdv_id and a.during && b.during where a.active and b.active").fetchone()[0]


def test_twenty_concurrent_bookings_of_one_slot_give_exactly_one_rdv(world):
    desk = open_desk(world)
    results = _parallel([lambda: desk.book("2027-03-02T14:00:00+01:00") for _ in range(20)])
    created = [r for r in results if r.status_code == 201]
    refused = [r for r in results if r.status_code == 409]
    assert len(created) == 1 and len(refused) == 19, [r.status_code for r in results]
    winner = created[0].json()["id"]
    for resp in refused:
        assert resp.json()["error"]["code"] == "slot_taken"
        assert resp.json()["error"]["details"]["rdv_id"] == winner
    with world.client() as c:
        assert c.get("/v1/rdvs", params={"agent_id": str(desk.agent_id)}).json()["total"] == 1


def test_many_overlapping_random_bookings_and_moves_never_overlap(world):
    desks = [open_desk(world)]
    desks += [open_desk(world, lieu_id=desks[0].lieu_id, motif_id=desks[0].motif_id) for _ in range(2)]
    shared_agent = desks[0].agent_id
    rng = random.Random(5)
    base = datetime.fromisoformat("2027-03-02T09:00:00+01:00")

    def start() -> str:
        return (base + timedelta(minutes=5 * rng.randrange(0, 24))).isoformat()

    calls = []
    for _ in range(60):
        desk = rng.choice(desks)
        agents = [desk.agent_id] + ([shared_agent] if rng.random() < 0.3 and desk.agent_id != shared_agent else [])
        when = start()
        calls.append(lambda desk=desk, agents=agents, when=when: world.book(
            motif_id=desk.motif_id, lieu_id=desk.lieu_id, agent_ids=agents, starts_at=when))
    results = _parallel(calls)
    assert {r.status_code for r in results} <= {201, 409}, [r.text for r in results if r.status_code not in (201, 409)]
    booked = [r.json()["id"] for r in results if r.status_code == 201]
    assert booked and len(booked) < 60
    # Concurrent moves of the booked RDVs onto random times, and resets of cancelled ones.
    with world.client() as c:
        for rdv_id in booked[::3]:
            c.post(f"/v1/rdvs/{rdv_id}/status", json={"status": "revoked"})

    def move(rdv_id, when):
        with world.client() as c:
            return c.patch(f"/v1/rdvs/{rdv_id}", json={"starts_at": when})

    def reset(rdv_id):
        with world.client() as c:
            return c.post(f"/v1/rdvs/{rdv_id}/status", json={"status": "unknown"})

    calls = [lambda i=i, when=start(): move(i, when) for i in booked] + [lambda i=i: reset(i) for i in booked[::3]]
    rng.shuffle(calls)
    results = _parallel(calls)
    assert {r.status_code for r in results} <= {200, 409}
    assert _overlaps(world.booking) == 0


def test_a_cancelled_rdv_frees_its_slot_and_cannot_come_back_over_another(world):
    desk = open_desk(world)
    first = desk.book("2027-03-02T09:00:00+01:00").json()
    with world.client() as c:
        assert c.post(f"/v1/rdvs/{first['id']}/status", json={"status": "excused"}).status_code == 200
        second = desk.book("2027-03-02T09:00:00+01:00", usager_ids=[uuid.uuid4()])
        assert second.status_code == 201
        back = c.post(f"/v1/rdvs/{first['id']}/status", json={"status": "unknown"})
        assert back.status_code == 409 and back.json()["error"]["code"] == "slot_taken"
        assert back.json()["error"]["details"]["rdv_id"] == second.json()["id"]
        assert c.get(f"/v1/rdvs/{first['id']}").json()["status"] == "excused"
        # A cancelled RDV may be moved onto a taken time: it holds no slot.
        assert c.patch(f"/v1/rdvs/{first['id']}", json={"starts_at": "2027-03-02T09:10:00+01:00"}).status_code == 200
    assert _overlaps(world.booking) == 0


def test_crossed_multi_agent_bookings_at_once_give_one_rdv_per_slot_and_no_error(world):
    """[A, B] and [B, A] on one slot at the same moment: the constraint's waits may deadlock in
    PostgreSQL; the loser is run again and answered 409 slot_taken, never a 500."""
    first = open_desk(world, days=("2027-03-02",))
    pairs = []
    for _ in range(6):
        a = open_desk(world, days=("2027-03-02",), lieu_id=first.lieu_id, motif_id=first.motif_id).agent_id
        b = open_desk(world, days=("2027-03-02",), lieu_id=first.lieu_id, motif_id=first.motif_id).agent_id
        pairs.append((a, b))
    calls = []
    for a, b in pairs:
        for agents in ([a, b], [b, a]):
            for minute in (0, 10):
                calls.append(lambda agents=agents, minute=minute: world.book(
                    motif_id=first.motif_id, lieu_id=first.lieu_id, agent_ids=agents,
                    starts_at=f"2027-03-02T10:{minute:02d}:00+01:00"))
    results = _parallel(calls)
    assert sorted(r.status_code for r in results) == [201] * 6 + [409] * 18, [r.text for r in results]
    assert all(r.json()["error"]["code"] == "slot_taken" for r in results if r.status_code == 409)
    assert _overlaps(world.booking) == 0
