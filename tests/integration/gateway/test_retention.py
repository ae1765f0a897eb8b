"""The gateway's retention pass against real PostgreSQL: stored Idempotency-Key answers past their validity
go, younger ones stay; on a `Database` opened as `rdv retention` opens it (no runtime)."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

from gateway.retention import purge_idempotency_keys
from gateway.service_layer.unit_of_work import unit_of_work
from shared.db import Database

NOW = datetime(2027, 3, 2, 12, 0, tzinfo=timezone.utc)


async def test_answers_past_their_validity_are_deleted(infra):
    db = Database(infra.migrated_database("gateway"))
    caller = f"agent:{uuid.uuid4()}"
    try:
        async with unit_of_work(db) as uow:
            for key, age in (("old", timedelta(hours=25)), ("young", timedelta(hours=23))):
                await uow.idempotency.claim(scope=caller, key=key, method="POST", path="/api/v1/usagers",
                                            body_hash="h", now=NOW - age)
                await uow.closing.write(audit=[], positions={}, keys=[(caller, key, (
                    201, {"content-type": "application/json"}, b'{"first_name": "Ana"}'))])
            await uow.commit()
        assert await purge_idempotency_keys(db=db, ttl_hours=24, as_of=NOW) >= 1
        async with unit_of_work(db, autocommit=True) as uow:
            assert await uow.idempotency.get(scope=caller, key="old") is None
            young = await uow.idempotency.get(scope=caller, key="young")
        assert young.state == "done" and young.response_body == b'{"first_name": "Ana"}'
    finally:
        await db.dispose()
