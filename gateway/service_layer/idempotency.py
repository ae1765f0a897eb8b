"""Use cases of `Idempotency-Key`: claim a key before a write runs (its answer is kept, or the key forgotten,
with the write's other rows: `closing.close`), purge old keys.

The contract's semantics (api.md) are held here, at the gateway, for every write of every service:
see docs/internal.md ("Where Idempotency-Key is kept") for why here.
"""
from __future__ import annotations
from gateway.service_layer.unit_of_work import unit_of_work

from dataclasses import dataclass
from datetime import datetime, timedelta

from shared import clock
from shared.db import Database

# A live request ends within the service timeout (15 s): an older "in progress" key was
# left by a gateway that died mid-request, and its retry may take it over.
ABANDONED_AFTER = timedelta(seconds=30)


@dataclass(frozen=True)
class Keyed:
    """A write sent with an Idempotency-Key: the key and what it covers."""
    key: str
    method: str
    path: str
    body_hash: str  # of method, path, query and body

    def by(self, caller: str) -> "Write":
        return Write(caller=caller, key=self.key, method=self.method, path=self.path, body_hash=self.body_hash)


@dataclass(frozen=True)
class Write:
    caller: str  # "agent:<id>", "ip:<address>" or "platform"
    key: str
    method: str
    path: str
    body_hash: str  # of method, path, query and body


@dataclass(frozen=True)
class StoredAnswer:
    """What a repeated key finds: the first request's state, and its answer once done."""
    state: str  # in_progress | done
    body_hash: str
    status: int | None
    headers: dict | None
    body: bytes | None


def _expired(row, now: datetime, ttl: timedelta) -> bool:
    return row.created_at < now - ttl or (row.state == "in_progress" and row.created_at < now - ABANDONED_AFTER)


async def claim(*, db: Database, write: Write, ttl: timedelta) -> StoredAnswer | None:
    """Take the key for this write (None: go on), or the first request's state when the key is live."""
    now = clock.now()
    fields = dict(scope=write.caller, key=write.key, method=write.method, path=write.path,
                  body_hash=write.body_hash, now=now)
    async with unit_of_work(db) as uow:
        if not await uow.idempotency.claim(**fields):
            row = await uow.idempotency.get(scope=write.caller, key=write.key, lock=True)
            if not _expired(row, now, ttl):
                await uow.commit()
                return StoredAnswer(state=row.state, body_hash=row.body_hash, status=row.response_status,
                                    headers=row.response_headers, body=row.response_body)
            await uow.idempotency.restart(**fields)
        await uow.commit()
    return None


async def purge(*, db: Database, ttl_hours: int, as_of: datetime | None = None) -> int:
    """Delete the stored answers older than their validity (they may hold personal data); return how many."""
    cutoff = (as_of or clock.now()) - timedelta(hours=ttl_hours)
    async with unit_of_work(db) as uow:
        count = await uow.idempotency.purge(before=cutoff)
        await uow.commit()
    return count
