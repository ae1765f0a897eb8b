"""The one road to a service's database: `async with db.uow() as uow`.

The unit of work owns the transaction: it rolls back unless committed, and the events published
through it are written to the outbox inside that same commit. A service's repositories hang on its
unit of work (`uow.rdvs`, `uow.plages`), declared on a subclass with `repository(...)` and handed to
the `Database` (`Database(url, unit_of_work=BookingUnitOfWork)`, `ServiceRuntime(..., unit_of_work=...)`).

`db.uow(autocommit=True)` serves reads that need no snapshot shared with another statement, and
one-statement writes (which may carry their own outbox row, see booking's create): each statement is
its own transaction, with no BEGIN / COMMIT round trips.

How statements run is `shared.db_fast`'s business (compiled once, run on psycopg itself; SQLAlchemy
for what only it can run); callers see SQLAlchemy's Result API and errors either way.
"""
from __future__ import annotations

import asyncio
import time
import weakref
from typing import Any, Callable, Generic, TypeVar

import psycopg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from shared import db_fast
from shared.db_fast import Rows
from shared.events import Envelope
from shared.outbox import INSERT as _INSERT_OUTBOX, outbox_json
from shared.settings import to_async_url, to_libpq_url

__all__ = ["Database", "Rows", "UnitOfWork", "make_engine", "repository"]

R = TypeVar("R")


def make_engine(url: str, *, pool_size: int = 64, max_overflow: int = 16) -> AsyncEngine:
    # No pre-ping: it costs a round trip per transaction; a connection broken by a PostgreSQL
    # restart fails once, is recognised as a disconnect, and SQLAlchemy empties the pool.
    # The pool holds enough connections for the load a replica serves (settings db_pool_size): an
    # overflow connection is closed when returned, and opening one costs PostgreSQL a backend process.
    return create_async_engine(to_async_url(url), pool_size=pool_size, max_overflow=max_overflow,
                               pool_recycle=1800)


class repository(Generic[R]):
    """A repository attached to a unit of work class: `rdvs = repository(RdvRepository)`.

    `uow.rdvs` is `RdvRepository(uow)`, built at its first use in that unit of work (a use case that
    never touches it pays nothing)."""

    def __init__(self, factory: Callable[["UnitOfWork"], R]):
        self.factory = factory
        self.name = ""

    def __set_name__(self, owner, name: str) -> None:
        self.name = name

    def __get__(self, uow: "UnitOfWork | None", owner=None) -> R:
        if uow is None:
            return self  # type: ignore[return-value]
        built = self.factory(uow)
        uow.__dict__[self.name] = built  # a non-data descriptor: the instance's own attribute wins from now on
        return built


class UnitOfWork:
    """`async with db.uow() as uow:` opens a transaction; `await uow.commit()` commits it.

    `uow.publish(envelope)` writes the event to the outbox in the same transaction. After a commit that
    wrote events, the database's `on_commit` (the relay's wake-up) is called.
    A transaction runs on a Core connection of SQLAlchemy's pool, taken at its first statement (no ORM
    session: the code reads and writes tables, and a session's bookkeeping cost CPU on every statement).
    In autocommit mode statements run on psycopg's pool (`shared.db_fast`), each its own transaction;
    `commit()` then only wakes the relay when a statement wrote outbox rows (`wrote_events()`).
    """

    def __init__(self, database: "Database", *, autocommit: bool = False):
        self._database = database
        self.autocommit = autocommit
        self._conn: AsyncConnection | None = None  # transaction, or autocommit fallback
        self._driver: psycopg.AsyncConnection | None = None
        self._events: list[Envelope] = []
        self._wrote = False

    async def __aenter__(self) -> "UnitOfWork":
        self._conn = self._driver = None
        self._events = []
        self._wrote = False
        return self

    async def __aexit__(self, *exc: Any) -> None:
        conn, driver, self._conn, self._driver = self._conn, self._driver, None, None
        if self.autocommit:
            try:
                if driver is not None:
                    await self._database._autocommit.release(driver)
            finally:
                if conn is not None:
                    await conn.close()
            return
        if conn is not None:
            kept = False
            try:
                if driver.broken:
                    await conn.invalidate()  # PostgreSQL went away: the pool must not reuse it
                    await self._database._drop_kept()  # nor those kept aside (likely gone too)
                else:
                    await driver.rollback()  # nothing to undo after a commit
                    if conn.in_transaction():  # a statement went through SQLAlchemy
                        await conn.rollback()
                    kept = self._database._keep(conn, driver)
            finally:
                if not kept:
                    await conn.close()

    def publish(self, envelope: Envelope) -> None:
        if self.autocommit:
            raise RuntimeError("an autocommit unit of work cannot publish: its statements commit one by one")
        self._events.append(envelope)

    def wrote_events(self) -> None:
        """A statement of this unit of work wrote outbox rows itself (`shared.outbox.payload_json`)."""
        self._wrote = True

    async def commit(self) -> None:
        if self._events:
            await self.execute(_INSERT_OUTBOX, {"rows": outbox_json(self._events)})
        if self._conn is not None and not self.autocommit:
            # One transaction on one psycopg connection, whichever way its statements went.
            await self._driver.commit()
            if self._conn.in_transaction():  # a statement went through SQLAlchemy: end its transaction too
                await self._conn.commit()
        wrote = bool(self._events) or self._wrote
        self._events = []
        self._wrote = False
        on_commit = self._database.on_commit
        if wrote and on_commit:
            on_commit()

    async def execute(self, statement, params: Any = None):
        """Run a statement: on the psycopg connection itself, compiled once (`shared.db_fast`), or
        through SQLAlchemy when only it can run it (in a transaction: on the same connection)."""
        if isinstance(statement, str):
            statement = text(statement)
        plan = db_fast.plan(statement, params)
        if self.autocommit:
            if plan is None:
                if self._conn is None:
                    self._conn = await self._database._autocommit_engine.connect()
                return await self._conn.execute(statement, params or {})
            if self._driver is None:
                self._driver = await self._database._autocommit.acquire()
            return await db_fast.run(self._driver, plan, params)
        if self._conn is None:
            self._conn, self._driver = await self._database._take()
        if plan is None:
            return await self._conn.execute(statement, params or {})
        return await db_fast.run(self._driver, plan, params)


class Database:
    """One per service process: its pools and its unit of work (`db.uow()`)."""

    def __init__(self, url: str, *, pool_size: int = 64, max_overflow: int = 16,
                 unit_of_work: type[UnitOfWork] = UnitOfWork):
        # The connection budget (pool_size + max_overflow) is shared between SQLAlchemy's pool
        # (transactions) and psycopg's (autocommit statements): half of pool_size each.
        raw_size = max(1, pool_size // 2)
        self._engine = make_engine(url, pool_size=max(1, pool_size - raw_size), max_overflow=max_overflow)
        self.unit_of_work = unit_of_work
        self.on_commit: Callable[[], None] | None = None
        # Same pool; psycopg switches autocommit on the client side, so it costs no round trip.
        self._autocommit_engine = self._engine.execution_options(isolation_level="AUTOCOMMIT")
        self._libpq_url = to_libpq_url(url)
        self._autocommit = db_fast.AutocommitPool(self._libpq_url, size=raw_size)
        self._kept: list[tuple[AsyncConnection, psycopg.AsyncConnection]] = []
        self._keep_max = max(1, pool_size - raw_size)
        self._waiting = 0  # transactions waiting for SQLAlchemy's pool
        # A Database dropped without dispose() (tests): its kept connections leave SQLAlchemy's pool
        # quietly, as idle pooled ones would, instead of being found checked out by the collector.
        weakref.finalize(self, _detach_all, self._kept)

    # Transactions' connections are kept aside between units of work rather than returned to SQLAlchemy's
    # pool: its checkout, checkin and reset each go through a greenlet and cost a transaction more CPU
    # than its BEGIN and COMMIT. A connection is kept only idle (its transaction over, through psycopg
    # and SQLAlchemy alike), and goes back through the pool after KEPT_SECONDS (pool_recycle and overflow
    # rules then apply as before).
    async def _take(self) -> tuple[AsyncConnection, psycopg.AsyncConnection]:
        """A connection for a transaction: a kept one, or one from SQLAlchemy's pool; and its psycopg one."""
        if self._kept:
            return self._kept.pop()
        self._waiting += 1  # a connection released meanwhile goes to the pool, where this may wait
        try:
            conn = await self._engine.connect()
        finally:
            self._waiting -= 1
        driver = (await conn.get_raw_connection()).driver_connection
        conn.info[_TAKEN_AT] = conn.info.get(_TAKEN_AT) or time.monotonic()
        return conn, driver

    def _keep(self, conn: AsyncConnection, driver: psycopg.AsyncConnection) -> bool:
        """Keep an idle connection for the next transaction; False when it must go back to the pool."""
        if (self._waiting or len(self._kept) >= self._keep_max
                or driver.info.transaction_status != psycopg.pq.TransactionStatus.IDLE):
            return False
        if time.monotonic() - conn.info[_TAKEN_AT] > KEPT_SECONDS:
            conn.info.pop(_TAKEN_AT, None)
            return False
        self._kept.append((conn, driver))
        return True

    async def _drop_kept(self) -> None:
        kept = self._kept[:]
        self._kept.clear()  # in place: the finalizer holds this list
        for conn, _ in kept:
            try:
                await conn.invalidate()
            finally:
                await conn.close()

    async def connect(self) -> psycopg.AsyncConnection:
        """A connection of the caller's own, outside both pools (autocommit, rows as named tuples), for
        session state a pooled connection must not carry (the outbox relay's lock): the caller closes it."""
        return await psycopg.AsyncConnection.connect(self._libpq_url, autocommit=True,
                                                     row_factory=db_fast.named_rows)

    def uow(self, *, autocommit: bool = False) -> UnitOfWork:
        return self.unit_of_work(self, autocommit=autocommit)

    async def ping(self, timeout: float = 2.0) -> bool:
        try:
            async with asyncio.timeout(timeout):
                async with self.uow(autocommit=True) as uow:
                    await uow.execute(_PING)
            return True
        except Exception:
            return False

    async def dispose(self) -> None:
        kept = self._kept[:]
        self._kept.clear()  # in place: the finalizer holds this list
        for conn, _ in kept:
            await conn.close()
        await self._autocommit.close()
        await self._engine.dispose()


def _detach_all(kept: list) -> None:
    for conn, _ in kept:
        conn.sync_connection.detach()
    kept.clear()


_PING = text("select 1")
KEPT_SECONDS = 60.0  # a kept connection goes back through SQLAlchemy's pool at least this often
_TAKEN_AT = "rdv_taken_at"  # in the connection's info: when it was last taken from SQLAlchemy's pool
