"""RGPD retention of usagers against a real database: who is anonymised (like DELETE, with its event)
and who is kept, given the RDV projection and the creation date; a purged RDV leaves the history."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

from sqlalchemy import text

from services.usagers.service_layer.projections import on_rdv_event
from services.usagers.service_layer.retention import anonymise_expired_usagers
from services.usagers.service_layer.unit_of_work import UsagersUnitOfWork, unit_of_work
from services.usagers.service_layer.usagers import create_usager
from shared.db import Database
from shared.events import new_event
from shared.identity import Identity

AS_OF = datetime(2029, 3, 3, 11, 0, tzinfo=timezone.utc)  # cutoff 2027-03-03 11:00 UTC
OLD = datetime(2027, 1, 4, 9, 0, tzinfo=timezone.utc)
RECENT = datetime(2029, 2, 1, 9, 0, tzinfo=timezone.utc)


async def _usager(db, admin: Identity, name: str, *, created_at: datetime, responsible_id=None) -> uuid.UUID:
    data = {"first_name": "Camille", "last_name": name, "email": f"{name.lower()}@example.fr",
            **({"responsible_id": str(responsible_id)} if responsible_id else {})}
    usager, _ = await create_usager(uow=unit_of_work(db), identity=admin, data=data)
    async with db.uow() as uow:
        await uow.execute(text("update usagers set created_at = :at where id = :id"), {"at": created_at, "id": usager.id})
        await uow.commit()
    return usager.id


async def _rdv(db, org, usager_id, *, ends_at: datetime) -> uuid.UUID:
    rdv_id = uuid.uuid4()
    async with unit_of_work(db) as uow:
        await uow.projections.upsert_rdv({
            "id": rdv_id, "organisation_id": org, "service_id": uuid.uuid4(), "motif_id": uuid.uuid4(),
            "lieu_id": None, "agent_ids": [uuid.uuid4()], "usager_ids": [usager_id],
            "starts_at": ends_at - timedelta(minutes=30),
            "ends_at": ends_at, "status": "seen", "version": 1})
        await uow.commit()
    return rdv_id


async def test_retention_anonymises_usagers_without_recent_rdv_and_keeps_the_others(infra):
    db = Database(infra.migrated_database("usagers"), unit_of_work=UsagersUnitOfWork)
    org = uuid.uuid4()
    admin = Identity(kind="agent", organisation_id=org, agent_id=uuid.uuid4(), role="admin")
    idle_old = await _usager(db, admin, "Inactif", created_at=OLD)
    idle_new = await _usager(db, admin, "Nouveau", created_at=RECENT)
    past = await _usager(db, admin, "Ancien", created_at=OLD)
    past_rdv = await _rdv(db, org, past, ends_at=datetime(2027, 3, 2, 10, 0, tzinfo=timezone.utc))
    recent = await _usager(db, admin, "Fidele", created_at=OLD)
    await _rdv(db, org, recent, ends_at=datetime(2028, 6, 1, 10, 0, tzinfo=timezone.utc))
    # a responsible without RDV of its own stays while its relative has a recent RDV
    parent = await _usager(db, admin, "Parent", created_at=OLD)
    child = await _usager(db, admin, "Enfant", created_at=OLD, responsible_id=parent)
    await _rdv(db, org, child, ends_at=datetime(2027, 3, 3, 11, 30, tzinfo=timezone.utc))  # just after the cutoff

    assert await anonymise_expired_usagers(uow=unit_of_work(db), as_of=AS_OF) == 2
    assert await anonymise_expired_usagers(uow=unit_of_work(db), as_of=AS_OF) == 0  # a second pass changes nothing

    async with db.uow() as uow:
        rows = {r.id: r for r in (await uow.execute(text(
            "select id, first_name, last_name, email, anonymized_at from usagers"))).all()}
        events = (await uow.execute(text(
            "select payload->>'type', payload->'data'->>'usager_id', payload->'actor'->>'kind' from outbox "
            "where payload->>'type' = 'usagers.usager.anonymized'"))).all()
    assert {i for i, r in rows.items() if r.anonymized_at} == {idle_old, past}
    assert all(rows[i].last_name == "" and rows[i].email is None for i in (idle_old, past))
    assert rows[recent].last_name == "Fidele" and rows[idle_new].last_name == "Nouveau"
    assert rows[parent].last_name == "Parent" and rows[child].last_name == "Enfant"
    assert sorted(e[1] for e in events) == sorted([str(idle_old), str(past)])
    assert {e[2] for e in events} == {"system"}

    # booking purges the old RDV: the fiche's history forgets it
    purged = new_event("booking.rdv.purged", organisation_id=org, data={"rdv_id": str(past_rdv),
                                                                         "usager_ids": [str(past)]})
    async with db.uow() as uow:
        await on_rdv_event(uow, purged)
        await uow.commit()
    async with db.uow() as uow:
        left = (await uow.execute(text("select (select count(*) from rdvs where id = :r) + "
                                       "(select count(*) from rdv_usagers where rdv_id = :r)"),
                                  {"r": past_rdv})).scalar_one()
    assert left == 0
    await db.dispose()
