"""Hot reads on a pooled connection's psycopg driver, below SQLAlchemy's execution layers.

Booking's check runs one statement per RDV created: through SQLAlchemy each execution also crosses a
greenlet, an execution context and a result wrapper, more CPU than the statement's own round trip.
Here it goes straight to psycopg (which still prepares it server-side after a few executions) on a
connection of the same pool, in autocommit (a read that needs no snapshot shared with another one).
"""
from __future__ import annotations

import contextlib
import weakref
from typing import Any, AsyncIterator

import psycopg
from sqlalchemy.dialects.postgresql import psycopg as psycopg_dialect
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql.elements import TextClause

from shared.db import Database

_DIALECT = psycopg_dialect.dialect()
_AUTOCOMMIT: "weakref.WeakKeyDictionary[Database, AsyncEngine]" = weakref.WeakKeyDictionary()


def driver_sql(statement: TextClause) -> str:
    """A `text()` statement (`:name` parameters) as psycopg's SQL (`%(name)s`), compiled once."""
    return str(statement.compile(dialect=_DIALECT))


class Driver:
    """`await driver.one(sql, params)` / `.all(...)`: the rows as psycopg returns them (tuples)."""

    def __init__(self, conn: Any):
        self._conn = conn

    async def one(self, sql: str, params: dict[str, Any]) -> tuple | None:
        return await (await self._conn.execute(sql, params)).fetchone()

    async def all(self, sql: str, params: dict[str, Any]) -> list[tuple]:
        return await (await self._conn.execute(sql, params)).fetchall()


@contextlib.asynccontextmanager
async def driver(db: Database) -> AsyncIterator[Driver]:
    """A connection of the service's pool, in autocommit, for `Driver` statements."""
    engine = _AUTOCOMMIT.get(db)
    if engine is None:
        engine = _AUTOCOMMIT[db] = db.engine.execution_options(isolation_level="AUTOCOMMIT")
    pool = db.engine.pool
    async with engine.connect() as conn:
        raw = (await conn.get_raw_connection()).driver_connection
        try:
            yield Driver(raw)
        except psycopg.Error:
            if raw.broken and db.engine.pool is pool:
                # PostgreSQL restarted: the pool's other connections are broken too. Replace them all
                # now, as SQLAlchemy does on a disconnect it sees, rather than fail once on each.
                await conn.invalidate()
                await db.engine.dispose()
            raise
