"""Stored responses of writes sent with an `Idempotency-Key` (per caller and key); a write's answer is stored
by `gateway.adapters.closing` with its other rows."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert

from gateway.adapters.tables import idempotency_keys as keys


class IdempotencyRepository:
    """Stored answers of writes sent with an Idempotency-Key, per caller and key."""

    def __init__(self, uow):
        self._uow = uow

    async def claim(self, *, scope: str, key: str, method: str, path: str, body_hash: str,
                    now: datetime) -> bool:
        """Insert the key as in progress; False when it already exists."""
        stmt = (insert(keys).values(scope=scope, key=key, method=method, path=path, body_hash=body_hash,
                                    state="in_progress", created_at=now)
                .on_conflict_do_nothing().returning(keys.c.key))
        return (await self._uow.execute(stmt)).first() is not None

    async def get(self, *, scope: str, key: str, lock: bool = False):
        stmt = select(keys).where(keys.c.scope == scope, keys.c.key == key)
        return (await self._uow.execute(stmt.with_for_update() if lock else stmt)).first()

    async def restart(self, *, scope: str, key: str, method: str, path: str, body_hash: str,
                      now: datetime) -> None:
        """Take over an expired (or abandoned) key for a new request."""
        await self._uow.execute(update(keys).where(keys.c.scope == scope, keys.c.key == key).values(
            method=method, path=path, body_hash=body_hash, state="in_progress", created_at=now,
            response_status=None, response_body=None, response_headers=None))

    async def purge(self, *, before: datetime) -> int:
        """Delete every key created before `before`; return how many."""
        result = await self._uow.execute(delete(keys).where(keys.c.created_at < before))
        return result.rowcount or 0
