"""The busy projection from real booking.rdv.* events on NATS: blocks créneaux, idempotent, versioned."""
from __future__ import annotations

import asyncio
import time
import uuid

from shared.bus import connect, ensure_streams
from shared.events import new_event


def publish(infra, organisation_id, kind: str, rdv: dict, **data) -> None:
    async def go():
        nc = await connect(infra.nats_url, name="test-publisher")
        js = nc.jetstream(timeout=5)
        await ensure_streams(js)
        event = new_event(kind, organisation_id=organisation_id, data={"rdv": rdv, **data})
        await js.publish(kind, event.to_json(), headers={"Nats-Msg-Id": str(event.id)})
        await nc.close()

    asyncio.run(go())


def wait_until(predicate, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not reached")


def rdv_payload(org, *, agent, motif, lieu, starts_at, ends_at, status="unknown", version=1, rdv_id=None):
    return {"id": str(rdv_id or uuid.uuid4()), "organisation_id": str(org.organisation_id), "motif_id": motif,
            "lieu_id": lieu, "agent_ids": [str(agent)], "usager_ids": [str(uuid.uuid4())], "starts_at": starts_at,
            "ends_at": ends_at, "status": status, "context": None, "created_at": "2027-03-01T08:00:00+01:00",
            "created_by": None, "cancelled_at": None, "version": version, "service_id": str(org.service_id),
            "origin": "agent", "duration_minutes": 30}


def test_rdv_events_block_and_free_slots_in_version_order(org, infra):
    lieu, motif = org.lieu(), org.motif(duration=30)
    agent = uuid.uuid4()
    org.plage(agent_id=agent, lieu_id=lieu, motif_ids=[motif], first_day="2027-03-03", start="09:00", end="10:00")

    def starts():
        return [c["starts_at"][11:16] for c in org.creneaux(motif, "2027-03-03", "2027-03-03").json()["items"]]

    assert starts() == ["09:00", "09:30"]
    rdv_id = uuid.uuid4()
    created = rdv_payload(org, agent=agent, motif=motif, lieu=lieu, rdv_id=rdv_id,
                          starts_at="2027-03-03T09:00:00+01:00", ends_at="2027-03-03T09:30:00+01:00")
    publish(infra, org.organisation_id, "booking.rdv.created", created, origin="agent")
    wait_until(lambda: starts() == ["09:30"])

    explained = org.get("/v1/creneaux/explain", agent_id=str(agent), motif_id=motif,
                        starts_at="2027-03-03T09:00:00+01:00").json()
    assert explained["reasons"] == [f"RDV {rdv_id}"]

    cancelled = {**created, "status": "revoked", "version": 3}
    publish(infra, org.organisation_id, "booking.rdv.status_changed", cancelled, previous_status="unknown")
    wait_until(lambda: starts() == ["09:00", "09:30"])

    # An older event arriving late (version 2) never overwrites the newer state.
    moved = {**created, "starts_at": "2027-03-03T09:30:00+01:00", "ends_at": "2027-03-03T10:00:00+01:00",
             "version": 2}
    publish(infra, org.organisation_id, "booking.rdv.updated", moved, changes={})
    marker = rdv_payload(org, agent=agent, motif=motif, lieu=lieu, starts_at="2027-03-03T09:00:00+01:00",
                         ends_at="2027-03-03T09:30:00+01:00")
    publish(infra, org.organisation_id, "booking.rdv.created", marker, origin="agent")  # processed after it
    wait_until(lambda: starts() == ["09:30"])
    rdvs = org.get("/v1/agenda", agent_id=str(agent), **{"from": "2027-03-03", "to": "2027-03-03"}).json()["rdvs"]
    kept = next(r for r in rdvs if r["id"] == str(rdv_id))
    assert (kept["status"], kept["starts_at"]) == ("revoked", "2027-03-03T09:00:00+01:00")


def test_absence_answers_the_rdvs_inside_it_and_its_event_lists_them(org, infra):
    lieu, motif = org.lieu(), org.motif(duration=30)
    agent = uuid.uuid4()
    inside = rdv_payload(org, agent=agent, motif=motif, lieu=lieu, starts_at="2027-03-10T10:00:00+01:00",
                         ends_at="2027-03-10T10:30:00+01:00")
    outside = rdv_payload(org, agent=agent, motif=motif, lieu=lieu, starts_at="2027-03-11T10:00:00+01:00",
                          ends_at="2027-03-11T10:30:00+01:00")
    for rdv in (inside, outside):
        publish(infra, org.organisation_id, "booking.rdv.created", rdv, origin="agent")
    wait_until(lambda: len(org.get("/v1/agenda", agent_id=str(agent),
                                   **{"from": "2027-03-10", "to": "2027-03-11"}).json()["rdvs"]) == 2)
    received = []

    async def listen():
        nc = await connect(infra.nats_url, name="test-listener")
        sub = await nc.subscribe("availability.absence.created")
        await nc.flush()  # the server knows the subscription before the write: its event leaves before its answer
        absence = org.absence(agent_id=agent, first_day="2027-03-10", start="09:00", end="12:00", title="Réunion")
        assert [r["id"] for r in absence["rdvs_in_conflict"]] == [inside["id"]]
        assert absence["rdvs_in_conflict"][0]["usager_ids"] == inside["usager_ids"]  # the RDV as booking sent it
        assert absence["rdvs_in_conflict"][0]["starts_at"] == "2027-03-10T10:00:00+01:00"
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            msg = await sub.next_msg(timeout=15)
            import json

            body = json.loads(msg.data)
            if body["data"]["absence"]["id"] == absence["id"]:
                received.append(body)
                break
        await nc.close()

    asyncio.run(listen())
    assert received[0]["data"]["rdv_ids_in_conflict"] == [inside["id"]]
    assert received[0]["organisation_id"] == str(org.organisation_id)


async def test_a_batch_leaves_the_projection_as_applying_its_events_one_by_one(infra):
    """availability-busy applies a fetched batch with bulk statements: the same rows as one transaction
    per event, whatever the order of versions, repeats, version-less events and purges in the batch."""
    import random
    from datetime import datetime, timedelta, timezone

    from sqlalchemy import text

    from services.availability.entrypoints.consumers import busy
    from services.availability.service_layer.unit_of_work import AvailabilityUnitOfWork
    from shared.db import Database
    from shared.inbox import Consumer, ConsumerRunner

    rng = random.Random(7)
    org, agents = uuid.uuid4(), [uuid.uuid4() for _ in range(3)]
    rdv_ids = [uuid.uuid4() for _ in range(8)]
    base = datetime(2027, 3, 3, 8, tzinfo=timezone.utc)
    events = []
    for n in range(120):
        rdv_id = rng.choice(rdv_ids)
        if rng.random() < 0.08:
            events.append(new_event("booking.rdv.purged", organisation_id=org,
                                    data={"rdv_id": str(rdv_id), "usager_ids": [], "agent_ids": [],
                                          "ends_at": base.isoformat()}))
            continue
        start = base + timedelta(minutes=15 * rng.randrange(20))
        rdv = {"id": str(rdv_id), "organisation_id": str(org), "motif_id": str(uuid.uuid4()), "lieu_id": None,
               "agent_ids": [str(a) for a in rng.sample(agents, rng.randint(1, 2))], "usager_ids": [],
               "starts_at": start.isoformat(), "ends_at": (start + timedelta(minutes=30)).isoformat(),
               "status": rng.choice(["unknown", "seen", "revoked"]), "version": rng.choice([0, 1, 2, 3, 4]),
               "created_at": base.isoformat(), "n": n, "display_status": "a_venir"}
        event = new_event(rng.choice(["booking.rdv.created", "booking.rdv.updated"]), organisation_id=org,
                          data={"rdv": rdv})
        event.occurred_at = base + timedelta(seconds=rng.randrange(60))  # ties and disorder included
        events.append(event)
    events += rng.sample(events, 10)  # redeliveries inside the batch

    async def projection(apply) -> list:
        db = Database(infra.migrated_database("availability"), unit_of_work=AvailabilityUnitOfWork)
        await apply(db)
        async with db.uow(autocommit=True) as uow:
            rows = (await uow.execute(text(
                "select id, organisation_id, agent_ids, starts_at, ends_at, status, version, event_at, motif_id, "
                "lieu_id, payload from busy_rdvs order by id"))).all()
        await db.dispose()
        return [tuple(r) for r in rows]

    async def one_by_one(db):
        runner = ConsumerRunner(db, None, Consumer(name=busy.name, stream=busy.stream, subjects=busy.subjects,
                                                   handler=busy.handler))
        for event in events:
            await runner.apply(event)

    async def in_batches(db):
        runner = ConsumerRunner(db, None, busy)
        for first in range(0, len(events), 45):
            await runner.apply_batch(events[first:first + 45])

    expected = await projection(one_by_one)
    assert len(expected) >= 3
    assert await projection(in_batches) == expected


def test_the_public_check_skips_an_agent_busy_in_the_projection(org, infra):
    """Two agents open at one lieu: the public check picks the first by id, the second once the first
    has an active RDV there, the first again once that RDV is revoked; nobody when both are busy."""
    lieu, motif = org.lieu(), org.motif(duration=30)
    first, second = sorted((uuid.uuid4(), uuid.uuid4()), key=str)
    for agent in (first, second):
        org.plage(agent_id=agent, lieu_id=lieu, motif_ids=[motif], first_day="2027-03-03", start="09:00", end="10:00")
    with org.client() as c:
        assert c.patch(f"/v1/motifs/{motif}", json={"reservable_online": True, "max_booking_delay_days": 90,
                                                      "min_booking_delay_minutes": 0}).status_code == 200
    slot = {"starts_at": "2027-03-03T09:00:00+01:00", "ends_at": "2027-03-03T09:30:00+01:00"}

    def pick():
        with org.client(org.identity(kind="public")) as public:
            return public.post("/internal/check", json={"agent_ids": [], "lieu_id": lieu, "motif_id": motif,
                                                        "public": True, "starts_at": slot["starts_at"]}).json()

    assert pick()["agent_ids"] == [str(first)]
    held = rdv_payload(org, agent=first, motif=motif, lieu=lieu, **slot)
    publish(infra, org.organisation_id, "booking.rdv.created", held, origin="agent")
    wait_until(lambda: pick().get("agent_ids") == [str(second)])
    publish(infra, org.organisation_id, "booking.rdv.created",
            rdv_payload(org, agent=second, motif=motif, lieu=lieu, **slot), origin="agent")
    refused = wait_until(lambda: (lambda r: r if r["ok"] is False else None)(pick()))
    assert refused["code"] == "outside_opening" and refused["message"] == "Ce créneau n'est plus disponible."
    publish(infra, org.organisation_id, "booking.rdv.status_changed", {**held, "status": "revoked", "version": 2},
            previous_status="unknown")
    wait_until(lambda: pick().get("agent_ids") == [str(first)])
