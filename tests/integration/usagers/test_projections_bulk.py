"""The usagers-rdv consumer applies a fetched batch in bulk: whatever the batches, the projection ends
as if each event had been applied alone, in order (versions, moved usagers, service changes, purges)."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from services.usagers.service_layer.projections import on_rdv_event, on_rdv_events
from services.usagers.service_layer.unit_of_work import UsagersUnitOfWork
from shared.db import Database
from shared.events import new_event
from tests.support.batches import apply_in_batches

START = datetime(2027, 3, 2, 9, 0, tzinfo=timezone.utc)


def _scenario():
    org, s1, s2 = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    anna, boris, chloe = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    r1, r2, r3, r4 = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()

    def rdv(kind, rdv_id, version, usagers, service, status="unknown"):
        return new_event(f"booking.rdv.{kind}", organisation_id=org, data={"rdv": {
            "id": str(rdv_id), "organisation_id": str(org), "motif_id": str(uuid.uuid4()), "lieu_id": None,
            "agent_ids": [str(uuid.uuid4())], "usager_ids": [str(u) for u in usagers],
            "starts_at": START.isoformat(), "ends_at": (START + timedelta(minutes=30)).isoformat(),
            "status": status, "service_id": str(service) if service else None, "version": version}})

    events = [
        rdv("created", r1, 1, [anna], s1),
        rdv("created", r2, 1, [anna, boris], s1),
        rdv("updated", r1, 2, [boris], s1),  # anna leaves r1, keeps s1 through r2
        rdv("created", r1, 1, [anna], s1),  # an older version arriving late: ignored
        rdv("created", r3, 1, [chloe], s2),
        rdv("status_changed", r2, 2, [anna, boris], s2, status="seen"),  # r2 moves to s2
        new_event("booking.rdv.purged", organisation_id=org, data={"rdv_id": str(r3), "usager_ids": [str(chloe)]}),
        rdv("created", r4, 1, [chloe], None),  # no service known (motif not projected yet)
        rdv("updated", r4, 3, [chloe, chloe], s2),  # one usager listed twice
        rdv("updated", r4, 2, [anna], s1),  # older than what the same batch holds: ignored
    ]
    expected = {anna: [s2], boris: sorted([s1, s2]), chloe: [s2]}
    return org, (anna, boris, chloe), events, expected, {r1: 2, r2: 2, r4: 3}


async def _state(db: Database, usager_ids) -> tuple:
    async with db.uow() as uow:
        rdvs = sorted((await uow.execute(text(
            "select id, version, service_id, usager_ids, status from rdvs"))).all())
        links = sorted((await uow.execute(text("select usager_id, rdv_id, service_id from rdv_usagers"))).all())
        services = {r.id: r.service_ids for r in (await uow.execute(
            text("select id, service_ids from usagers where id = any(:ids)"), {"ids": list(usager_ids)})).all()}
    return rdvs, links, services


async def _apply(db: Database, org, usager_ids, events, batches: list[int]) -> tuple:
    async with db.uow() as uow:
        for n, usager_id in enumerate(usager_ids):
            await uow.execute(text("insert into usagers (id, organisation_id, first_name, last_name) "
                                   "values (:id, :org, 'Camille', :name)"),
                              {"id": usager_id, "org": org, "name": f"Usager{n}"})
        await uow.commit()
    await apply_in_batches(db, events, batches, on_rdv_event, on_rdv_events)
    return await _state(db, usager_ids)


@pytest.mark.parametrize("batches", [[10], [3, 4, 3], [6, 4], [2, 2, 2, 2, 2]])
async def test_batches_end_as_one_event_at_a_time(infra, batches):
    org, usagers, events, expected, versions = _scenario()
    one_by_one = await _apply(Database(infra.migrated_database("usagers"), unit_of_work=UsagersUnitOfWork), org, usagers, events, [1] * len(events))
    batched = await _apply(Database(infra.migrated_database("usagers"), unit_of_work=UsagersUnitOfWork), org, usagers, events, batches)
    assert batched == one_by_one
    rdvs, links, services = batched
    assert {r.id: r.version for r in rdvs} == versions
    assert services == expected
    assert len(links) == 4  # r1: boris; r2: anna, boris; r4: chloe
