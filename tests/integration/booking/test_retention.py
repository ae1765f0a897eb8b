"""RGPD retention in booking against a real database: RDVs ended more than 2 years ago are deleted
with their history, each announced once by `booking.rdv.purged` even when two purges run at once
(replicas, or the CLI beside the daily loop); the others stay."""
from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta, timezone

from sqlalchemy import text

from services.booking.domain.rdv import Rdv
from services.booking.service_layer.retention import purge_expired_rdvs
from services.booking.service_layer.unit_of_work import BookingUnitOfWork
from shared.db import Database

AS_OF = datetime(2029, 3, 3, 11, 0, tzinfo=timezone.utc)  # cutoff 2027-03-03 11:00 UTC


def _rdv(org, agent, ends_at: datetime) -> Rdv:
    return Rdv(id=uuid.uuid4(), organisation_id=org, motif_id=uuid.uuid4(), service_id=uuid.uuid4(), lieu_id=None,
               agent_ids=(agent,), usager_ids=(uuid.uuid4(),), starts_at=ends_at - timedelta(minutes=10),
               ends_at=ends_at, status="seen", context="Renouvellement de titre", origin="agent",
               created_at=ends_at - timedelta(days=7), created_by=None, cancelled_at=None, version=2)


async def test_purge_deletes_old_rdvs_once_each_even_when_run_twice_at_once(infra):
    db = Database(infra.migrated_database("booking"), unit_of_work=BookingUnitOfWork)
    org, agent = uuid.uuid4(), uuid.uuid4()
    first = datetime(2027, 1, 4, 8, 0, tzinfo=timezone.utc)
    old = [_rdv(org, agent, first + timedelta(minutes=10 * i)) for i in range(40)]
    just_kept = _rdv(org, agent, datetime(2027, 3, 3, 11, 0, tzinfo=timezone.utc))  # ends at the cutoff
    recent = [_rdv(org, agent, datetime(2028, 5, 2, 9, 0, tzinfo=timezone.utc) + timedelta(minutes=10 * i))
              for i in range(5)]
    async with db.uow() as uow:
        for rdv in [*old, just_kept, *recent]:
            await uow.rdvs.add(rdv=rdv)
        await uow.rdvs.record_status_change(rdv=old[0], previous_status="unknown", changed_at=first,
                                            changed_by=None)
        await uow.commit()

    counts = await asyncio.gather(purge_expired_rdvs(db=db, as_of=AS_OF, batch=7),
                                  purge_expired_rdvs(db=db, as_of=AS_OF, batch=7))
    assert sum(counts) == len(old)
    assert await purge_expired_rdvs(db=db, as_of=AS_OF) == 0

    async with db.uow() as uow:
        left = set((await uow.execute(text("select id from rdvs"))).scalars())
        agents_left = (await uow.execute(text("select count(*) from rdv_agents"))).scalar_one()
        history_left = (await uow.execute(text("select count(*) from rdv_status_changes"))).scalar_one()
        events = (await uow.execute(text(
            "select payload->'data'->>'rdv_id', payload->'data'->'usager_ids', payload->>'organisation_id', "
            "payload->'actor'->>'kind' from outbox where payload->>'type' = 'booking.rdv.purged'"))).all()
    assert left == {just_kept.id, *(r.id for r in recent)}
    assert agents_left == len(left) and history_left == 0
    assert sorted(e[0] for e in events) == sorted(str(r.id) for r in old), "each purged RDV announced once"
    by_id = {str(r.id): r for r in old}
    assert all(e[1] == [str(u) for u in by_id[e[0]].usager_ids] and e[2] == str(org) and e[3] == "system"
               for e in events)
    await db.dispose()
