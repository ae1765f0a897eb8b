"""Database engine and unit of work (SQLAlchemy 2 async, psycopg 3).

The unit of work owns the transaction: it rolls back unless committed, and outbox
rows added through it are written inside that same commit.
"""
from __future__ import annotations

import asyncio
import collections
import contextlib
import functools
from typing import Any, AsyncIterator, Callable

import psycopg
from psycopg_pool import AsyncConnectionPool
from sqlalchemy import text
from sqlalchemy.dialects.postgresql import psycopg as psycopg_dialect
from sqlalchemy.exc import DBAPIError, MultipleResultsFound, NoResultFound
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.types import ARRAY

from shared.events import Envelope
from shared.settings import to_async_url, to_libpq_url


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
        self._driver: psycopg.AsyncConnection | None = None
        self._events: list[Envelope] = []

    @property
    def session(self) -> "UnitOfWork":
        return self

    async def __aenter__(self) -> "UnitOfWork":
        self._conn = self._driver = None
        self._events = []
        return self

    async def __aexit__(self, *exc: Any) -> None:
        conn, driver, self._conn, self._driver = self._conn, self._driver, None, None
        if conn is not None:
            try:
                if driver.broken:
                    await conn.invalidate()  # PostgreSQL went away: the pool must not reuse it
                else:
                    await driver.rollback()  # nothing to undo after a commit
                    await conn.rollback()
            finally:
                await conn.close()

    def publish(self, envelope: Envelope) -> None:
        self._events.append(envelope)

    async def commit(self) -> None:
        from shared.outbox import write_outbox

        if self._events:
            await write_outbox(self, self._events)
        if self._conn is not None:
            # One transaction on one psycopg connection, whichever way its statements went.
            await self._driver.commit()
            await self._conn.commit()
        wrote = bool(self._events)
        self._events = []
        if wrote and self._on_commit:
            self._on_commit()

    async def execute(self, statement, params: Any = None):
        """Run a statement in the transaction: on the psycopg connection itself, compiled once
        (see `Statements`), or through SQLAlchemy when only it can run it (same connection)."""
        if self._conn is None:
            self._conn = await self._engine.connect()
            self._driver = (await self._conn.get_raw_connection()).driver_connection
        if isinstance(statement, str):
            statement = text(statement)
        plan = _plan(statement, params)
        if plan is None:
            return await self._conn.execute(statement, params or {})
        return await _run(self._driver, plan, params)


class Rows:
    """The rows of one statement, read at once, with the part of SQLAlchemy's Result API the code uses."""

    __slots__ = ("_rows", "rowcount")

    def __init__(self, rows: list, rowcount: int):
        self._rows = rows
        self.rowcount = rowcount

    def __iter__(self):
        return iter(self._rows)

    def all(self) -> list:
        return list(self._rows)

    fetchall = all

    def first(self):
        return self._rows[0] if self._rows else None

    def one_or_none(self):
        if len(self._rows) > 1:
            raise MultipleResultsFound("Multiple rows were found when one or none was required")
        return self.first()

    def one(self):
        if not self._rows:
            raise NoResultFound("No row was found when one was required")
        return self.one_or_none()

    def scalar(self):
        row = self.first()
        return row[0] if row is not None else None

    def scalar_one(self):
        return self.one()[0]

    def scalar_one_or_none(self):
        row = self.one_or_none()
        return row[0] if row is not None else None

    def scalars(self) -> "Rows":
        return Rows([row[0] for row in self._rows], self.rowcount)

    def mappings(self) -> "Rows":
        return Rows([row._asdict() for row in self._rows], self.rowcount)


class _Plan:
    """A statement compiled once for psycopg: its SQL and how to turn parameters into its values."""

    __slots__ = ("statement", "compiled", "sql", "processors", "escaped")

    def __init__(self, statement, compiled):
        self.statement = statement
        self.compiled = compiled
        self.sql = compiled.string
        self.processors = compiled._bind_processors
        self.escaped = compiled.escaped_bind_names

    def values(self, params: dict) -> dict:
        values = self.compiled.construct_params(params, escape_names=False)
        processors, escaped = self.processors, self.escaped
        if processors or escaped:
            values = {escaped.get(key, key): (processors[key](value) if key in processors else value)
                      for key, value in values.items()}
        return values


@functools.lru_cache(maxsize=512)
def _row_class(names: tuple[str, ...]):
    # rename: a name repeated in a select list (two tables' `id`) or not an identifier becomes _<index>,
    # where psycopg's namedtuple_row would refuse the row; the first of a repeated name keeps it.
    base = collections.namedtuple("Row", names, rename=True)
    return type("Row", (base,), {"__slots__": (), "_mapping": property(base._asdict)})


def _named_rows(cursor):
    """psycopg row factory: rows as named tuples (by name and by index, like SQLAlchemy's rows)."""
    description = cursor.description
    if description is None:
        return tuple
    return _row_class(tuple(column.name for column in description))._make


_DIALECT = psycopg_dialect.dialect()
_PLANS: dict[tuple, tuple[Any, _Plan | None]] = {}  # (id(statement), columns) -> (statement kept alive, plan)
_PLANS_MAX = 1024


def _native(type_) -> bool:
    """psycopg returns this type's values as SQLAlchemy would (no result processing to do)."""
    if isinstance(type_, ARRAY) and not type_.as_tuple:
        return _native(type_.item_type)
    return type_._cached_result_processor(_DIALECT, None) is None


def _plan(statement, params) -> _Plan | None:
    """The psycopg plan of a statement, or None when only SQLAlchemy can run it (Python-side
    defaults, expanding IN parameters, result types SQLAlchemy converts).

    An INSERT or UPDATE compiles for the columns its parameters name, as SQLAlchemy does."""
    columns = None
    if statement.is_dml:
        first = params[0] if isinstance(params, list) and params else params
        columns = tuple(sorted(first or ()))
    key = (id(statement), columns)
    known = _PLANS.get(key)
    if known is not None and known[0] is statement:
        return known[1]
    compiled = statement.compile(dialect=_DIALECT, column_keys=list(columns) if columns is not None else None,
                                 for_executemany=isinstance(params, list))
    runnable = not (compiled.insert_prefetch or compiled.update_prefetch or compiled.literal_execute_params
                    or compiled.post_compile_params or compiled.schema_translate_map)
    if runnable and not all(_native(column[3]) for column in compiled._result_columns):
        runnable = False
    if len(_PLANS) >= _PLANS_MAX:  # statements built per call: forget them now and then
        _PLANS.clear()
    plan = _Plan(statement, compiled) if runnable else None
    _PLANS[key] = (statement, plan)
    return plan


async def _run(conn: psycopg.AsyncConnection, plan: _Plan, params) -> Rows:
    """Run a planned statement on a psycopg connection (a list of parameter sets: an executemany);
    a database error is raised as the SQLAlchemy error it would have been."""
    many = isinstance(params, list)
    values = [plan.values(p) for p in params] if many else plan.values(params or {})
    cursor = conn.cursor(row_factory=_named_rows)
    try:
        if many:  # one pipeline of the statement over each parameter set
            await cursor.executemany(plan.sql, values)
            rows = []
        else:
            await cursor.execute(plan.sql, values)
            rows = await cursor.fetchall() if cursor.description else []
    except psycopg.Error as exc:
        raise DBAPIError.instance(plan.sql, values, exc, psycopg.Error, connection_invalidated=conn.broken,
                                  dialect=_DIALECT) from exc
    return Rows(rows, cursor.rowcount)


class Statements:
    """Statements run one by one, each its own transaction (autocommit): no BEGIN / COMMIT round
    trips. For a read that needs no snapshot shared with another statement, or a one-statement
    write; never for writes that must commit together or with events (use the unit of work).

    They run on psycopg directly (a connection of the database's own psycopg pool), each SQLAlchemy
    statement compiled once: the hot reads and writes of every request go this way, and SQLAlchemy's
    connection, pool and execution layers cost about 0.15 ms of CPU per statement on top of psycopg.
    The answer has the part of SQLAlchemy's Result API the code uses (`Rows`), and a database error
    is raised as the SQLAlchemy error it would have been. A statement only SQLAlchemy can run (see
    `_plan`) goes through SQLAlchemy on a connection of its pool.
    """

    def __init__(self, database: "Database", conn):
        self._database = database
        self._conn = conn
        self._fallback: AsyncConnection | None = None

    async def execute(self, statement, params: dict | list[dict] | None = None):
        if isinstance(statement, str):
            statement = text(statement)
        plan = _plan(statement, params)
        if plan is None:
            if self._fallback is None:
                self._fallback = await self._database._autocommit_engine.connect()
            return await self._fallback.execute(statement, params or {})
        return await _run(self._conn, plan, params)

    async def close(self) -> None:
        if self._fallback is not None:
            fallback, self._fallback = self._fallback, None
            await fallback.close()


class Database:
    """One per service process: engine, session factory and a unit-of-work factory."""

    def __init__(self, url: str, *, pool_size: int = 64, max_overflow: int = 16):
        # The connection budget (pool_size + max_overflow) is shared between SQLAlchemy's pool (units
        # of work) and psycopg's (single statements, see `Statements`): half of pool_size each.
        raw_size = max(1, pool_size // 2)
        self.engine = make_engine(url, pool_size=max(1, pool_size - raw_size), max_overflow=max_overflow)
        self.on_commit: Callable[[], None] | None = None
        # Same pool; psycopg switches autocommit on the client side, so it costs no round trip.
        self._autocommit_engine = self.engine.execution_options(isolation_level="AUTOCOMMIT")
        self._raw = AsyncConnectionPool(to_libpq_url(url), min_size=1, max_size=raw_size, open=False,
                                        kwargs={"autocommit": True, "row_factory": _named_rows},
                                        name="statements")
        self._raw_ready = False
        self._raw_lock = asyncio.Lock()

    async def _raw_pool(self) -> AsyncConnectionPool:
        if not self._raw_ready:
            async with self._raw_lock:
                if not self._raw_ready:
                    await self._raw.open()
                    self._raw_ready = True
        return self._raw

    def _lost_connection(self) -> None:
        """A connection was found broken (PostgreSQL restarted): the others are too, so
        replace them all now rather than fail once each (what SQLAlchemy does with its pool)."""
        self._draining = asyncio.get_running_loop().create_task(self._raw.drain())  # a reference keeps it alive

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.engine, on_commit=self.on_commit)

    @contextlib.asynccontextmanager
    async def statements(self) -> AsyncIterator[Statements]:
        """`async with db.statements() as st: await st.execute(...)`: see `Statements`."""
        async with self.connection() as conn:
            statements = Statements(self, conn)
            try:
                yield statements
            finally:
                await statements.close()

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[psycopg.AsyncConnection]:
        """A psycopg connection of the statements' pool, for code written against psycopg itself
        (autocommit: `async with conn.transaction():` for a transaction); rows are named tuples.
        An error that leaves the connection broken (PostgreSQL restarted) replaces the whole pool."""
        pool = await self._raw_pool()
        async with pool.connection() as conn:
            try:
                yield conn
            except BaseException:
                if conn.broken:
                    self._lost_connection()
                raise

    async def ping(self, timeout: float = 2.0) -> bool:
        try:
            async with asyncio.timeout(timeout):
                async with self.engine.connect() as conn:
                    await conn.execute(text("select 1"))
            return True
        except Exception:
            return False

    async def dispose(self) -> None:
        if self._raw_ready:
            self._raw_ready = False
            await self._raw.close()
        await self.engine.dispose()
