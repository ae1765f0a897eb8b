"""Database engine and unit of work (SQLAlchemy 2 async, psycopg 3).

The unit of work owns the transaction: it rolls back unless committed, and outbox
rows added through it are written inside that same commit.
"""
from __future__ import annotations

import asyncio
import contextlib
from typing import Any, AsyncIterator, Callable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from shared.events import Envelope
from shared.settings import to_async_url


def make_engine(url: str, *, pool_size: int = 64, max_overflow: int = 16) -> AsyncEngine:
    # No pre-ping: it costs a round trip per transaction; a connection broken by a PostgreSQL
    # restart fails once, is recognised as a disconnect, and SQLAlchemy empties the pool.
    # The pool holds enough connections for the load a replica serves (settings db_pool_size): an
    # overflow connection is closed when returned, and opening one costs PostgreSQL a backend process.
    return create_async_engine(to_async_url(url), pool_size=pool_size, max_overflow=max_overflow,
                               pool_recycle=1800)


class UnitOfWork:
    """`async with uow:` opens a transaction; `await uow.commit()` commits it.

    `uow.publish(envelope)` writes the event to the outbox in the same transaction.
    After a commit that wrote events, `on_commit` (the relay's wake-up) is called.
    Statements run on a Core connection taken from the pool at the first one (no ORM session:
    the code reads and writes tables, and a session's bookkeeping cost CPU on every statement);
    `uow.session` is the unit of work itself, for adapters written against `.execute()`.
    """

    def __init__(self, engine: AsyncEngine, on_commit: Callable[[], None] | None = None):
        self._engine = engine
        self._on_commit = on_commit
        self._conn: AsyncConnection | None = None
        self._events: list[Envelope] = []

    @property
    def session(self) -> "UnitOfWork":
        return self

    async def __aenter__(self) -> "UnitOfWork":
        self._conn = None
        self._events = []
        return self

    async def __aexit__(self, *exc: Any) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                await conn.rollback()  # nothing to undo after a commit
            finally:
                await conn.close()

    def publish(self, envelope: Envelope) -> None:
        self._events.append(envelope)

    async def commit(self) -> None:
        from shared.outbox import write_outbox

        if self._events:
            await write_outbox(self, self._events)
        if self._conn is not None:
            await self._conn.commit()
        wrote = bool(self._events)
        self._events = []
        if wrote and self._on_commit:
            self._on_commit()

    async def execute(self, statement, params: Any = None):
        if self._conn is None:
            self._conn = await self._engine.connect()
        return await self._conn.execute(statement, params or {})


class Statements:
    """Statements run one by one, each its own transaction (autocommit): no BEGIN / COMMIT round
    trips. For a read that needs no snapshot shared with another statement, or a one-statement
    write; never for writes that must commit together or with events (use the unit of work)."""

    def __init__(self, conn):
        self._conn = conn

    async def execute(self, statement, params: dict | None = None):
        return await self._conn.execute(statement, params or {})


class Database:
    """One per service process: engine, session factory and a unit-of-work factory."""

    def __init__(self, url: str, *, pool_size: int = 64, max_overflow: int = 16):
        self.engine = make_engine(url, pool_size=pool_size, max_overflow=max_overflow)
        self.on_commit: Callable[[], None] | None = None
        # Same pool; psycopg switches autocommit on the client side, so it costs no round trip.
        self._autocommit_engine = self.engine.execution_options(isolation_level="AUTOCOMMIT")

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.engine, on_commit=self.on_commit)

    @contextlib.asynccontextmanager
    async def statements(self) -> AsyncIterator[Statements]:
        """`async with db.statements() as st: await st.execute(...)`: see `Statements`."""
        async with self._autocommit_engine.connect() as conn:
            yield Statements(conn)

    async def ping(self, timeout: float = 2.0) -> bool:
        try:
            async with asyncio.timeout(timeout):
                async with self.engine.connect() as conn:
                    await conn.execute(text("select 1"))
            return True
        except Exception:
            return False

    async def dispose(self) -> None:
        await self.engine.dispose()
