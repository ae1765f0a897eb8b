"""The batched audit writer against real PostgreSQL: rows land in order, survive a refused insert, and
are all written at stop."""
from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta, timezone

from sqlalchemy import text

from gateway.service_layer.audit_writer import AuditWriter
from shared.db import Database

T0 = datetime(2027, 3, 1, 7, 0, tzinfo=timezone.utc)


def _entry(org: uuid.UUID, n: int) -> dict:
    return {"organisation_id": org, "agent_id": None, "at": T0 + timedelta(seconds=n), "method": "POST",
            "path": f"/api/v1/x/{n}", "resource_id": str(n), "status": 201, "ip": "127.0.0.1", "replayed": False}


async def _paths(db: Database, org: uuid.UUID) -> list[str]:
    async with db.uow(autocommit=True) as uow:
        rows = await uow.execute(text("select path from audit_log where organisation_id = :o order by id"),
                                 {"o": org})
        return [r.path for r in rows]


async def test_queued_rows_are_inserted_together_in_order(infra):
    db = Database(infra.migrated_database("gateway"))
    writer = AuditWriter(db)
    writer.start()
    org = uuid.uuid4()
    try:
        for n in range(50):
            writer.add(_entry(org, n))
        for _ in range(200):
            if len(await _paths(db, org)) == 50:
                break
            await asyncio.sleep(0.02)
        assert await _paths(db, org) == [f"/api/v1/x/{n}" for n in range(50)]
    finally:
        await writer.stop()
        await db.dispose()


async def test_a_refused_insert_keeps_the_rows_and_stop_writes_what_is_left(infra):
    url = infra.migrated_database("gateway")
    db = Database(url)
    org = uuid.uuid4()
    writer = AuditWriter(db, linger=60)  # no background round during the test: flush by hand
    writer.start()
    try:
        writer.add(_entry(org, 0))
        writer.add({**_entry(org, 1), "status": None})  # NOT NULL: the whole insert is refused
        try:
            await writer.flush()
        except Exception:
            pass
        else:
            raise AssertionError("the insert should have been refused")
        assert [e["path"] for e in writer._queue] == ["/api/v1/x/0", "/api/v1/x/1"]  # kept, in order
        writer._queue[1]["status"] = 500
        writer.add(_entry(org, 2))
    finally:
        await writer.stop()
    assert await _paths(db, org) == ["/api/v1/x/0", "/api/v1/x/1", "/api/v1/x/2"]
    await db.dispose()


def test_a_full_queue_keeps_the_newest_rows():
    writer = AuditWriter(db=None, max_queued=3)  # type: ignore[arg-type]
    org = uuid.uuid4()
    for n in range(5):
        writer.add(_entry(org, n))
    assert [e["resource_id"] for e in writer._queue] == ["2", "3", "4"]
