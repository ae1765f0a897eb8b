"""Concurrent writes for one agent queue on the agent's lock before the exclusion constraint.

Without the queue, inserts for one slot waited on each other's uncommitted rows, in cycles that
PostgreSQL breaks one deadlock_timeout (1 s) at a time: a burst of fighters held every connection
for seconds. Queued, the second insert waits on the lock (not on the first one's row), then meets
the first one committed and is refused at once by the constraint.
"""
from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from services.booking.domain.rdv import Rdv, SlotTaken
from services.booking.service_layer.unit_of_work import BookingUnitOfWork
from shared.db import Database


def _rdv(agent_id: uuid.UUID, starts_at: datetime) -> Rdv:
    return Rdv(id=uuid.uuid4(), organisation_id=uuid.uuid4(), motif_id=uuid.uuid4(), service_id=uuid.uuid4(),
               lieu_id=None, agent_ids=(agent_id,), usager_ids=(), starts_at=starts_at,
               ends_at=starts_at + timedelta(minutes=30), status="unknown", context=None, origin="agent",
               created_at=starts_at, created_by=None, cancelled_at=None, version=1)


async def _waits_of(db: Database, pid: int) -> list[str]:
    async with db.uow(autocommit=True) as st:
        return list((await st.execute(text("select locktype from pg_locks where pid = :p and not granted"),
                                      {"p": pid})).scalars())


async def test_a_second_insert_for_the_agent_waits_on_its_lock_then_is_refused(infra):
    db = Database(infra.migrated_database("booking"), unit_of_work=BookingUnitOfWork)
    agent, at = uuid.uuid4(), datetime(2027, 3, 2, 13, 0, tzinfo=timezone.utc)
    async with db.uow() as first:
        await first.rdvs.add(rdv=_rdv(agent, at))  # not committed yet
        async with db.uow() as second:
            pid = (await second.execute(text("select pg_backend_pid()"))).scalar()
            racing = asyncio.ensure_future(second.rdvs.add(rdv=_rdv(agent, at + timedelta(minutes=15))))
            for _ in range(100):
                waits = await _waits_of(db, pid)
                if waits:
                    break
                await asyncio.sleep(0.02)
            await first.commit()
            with pytest.raises(SlotTaken):
                await racing
    assert waits == ["advisory"]  # it queued on the agent, not on the first one's uncommitted row
    # Another agent's insert does not queue behind this one.
    async with db.uow() as other:
        await other.rdvs.add(rdv=_rdv(uuid.uuid4(), at))
        await other.commit()
    await db.dispose()
