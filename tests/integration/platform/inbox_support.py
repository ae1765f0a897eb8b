"""What the inbox/outbox tests of the platform share: a database with an `applied` table, and NATS."""
from __future__ import annotations

from sqlalchemy import text

from shared.bus import connect, ensure_streams
from shared.db import Database


async def setup_inbox_test(infra, *, name: str, extra_tables: tuple[str, ...] = ()):
    """A fresh migrated database with `applied (event_id, n)` (and `extra_tables`), a NATS connection
    named `name` and its JetStream context with the streams: (db, nc, js)."""
    db = Database(infra.migrated_database("booking"))
    async with db.uow() as uow:
        for ddl in (*extra_tables, "create table applied (event_id uuid not null, n int not null)"):
            await uow.execute(text(ddl))
        await uow.commit()
    nc = await connect(infra.nats_url, name=name)
    js = nc.jetstream(timeout=5)
    await ensure_streams(js)
    return db, nc, js


async def applied_by_n(db) -> dict:
    """How many times each `n` was applied."""
    async with db.uow(autocommit=True) as uow:
        rows = (await uow.execute(text("select n, count(*) from applied group by n"))).all()
    return {n: c for n, c in rows}
