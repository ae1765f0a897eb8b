"""The psycopg fast path behind the unit of work (`shared.db`): nothing else imports it.

A SQLAlchemy statement is compiled once and then run on the psycopg connection itself: SQLAlchemy's
connection, pool and execution layers cost CPU on every statement, and the hot reads and writes of
every request go this way. The answer has the part of SQLAlchemy's Result API the code uses (`Rows`),
and a database error is raised as the SQLAlchemy error it would have been. A statement only SQLAlchemy
can run (see `plan`) is left to SQLAlchemy by the caller.

This module reads compiler attributes that SQLAlchemy does not promise to keep (`_bind_processors`,
`_result_columns`, `_cached_result_processor`): it is pinned to one SQLAlchemy version
(`SQLALCHEMY_VERSION`, checked by tests/unit/shared/test_db_fast.py and by the equivalence tests of
tests/integration/platform/test_statements.py). Upgrading SQLAlchemy means running those first.
"""
from __future__ import annotations

import asyncio
import collections
import functools
import time
from typing import Any

import psycopg
from psycopg_pool import AsyncConnectionPool
from sqlalchemy.dialects.postgresql import psycopg as psycopg_dialect
from sqlalchemy.exc import DBAPIError, MultipleResultsFound, NoResultFound
from sqlalchemy.types import ARRAY

# The SQLAlchemy release whose compiler internals this module was checked against (pyproject.toml pins it).
SQLALCHEMY_VERSION = "2.1.9"


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


class Plan:
    """A statement compiled once for psycopg: its SQL and how to turn parameters into its values."""

    __slots__ = ("statement", "compiled", "sql", "processors", "escaped", "_make_row")

    def __init__(self, statement, compiled):
        self.statement = statement
        self.compiled = compiled
        self.sql = compiled.string
        self.processors = compiled._bind_processors
        self.escaped = compiled.escaped_bind_names
        self._make_row = None

    def row_factory(self, cursor):
        """psycopg row factory: `named_rows`, its row class found once (a statement's columns do not
        change: psycopg builds the cursor's whole description anew for each result that asks for it)."""
        make = self._make_row
        if make is None:
            make = named_rows(cursor)
            if cursor.description is not None:
                self._make_row = make
        return make

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


def named_rows(cursor):
    """psycopg row factory: rows as named tuples (by name and by index, like SQLAlchemy's rows)."""
    description = cursor.description
    if description is None:
        return tuple
    return _row_class(tuple(column.name for column in description))._make


DIALECT = psycopg_dialect.dialect()
_TUPLES_OK = psycopg.pq.ExecStatus.TUPLES_OK
_PLANS: dict[tuple, tuple[Any, Plan | None]] = {}  # (id(statement), columns) -> (statement kept alive, plan)
_PLANS_MAX = 1024


def _native(type_) -> bool:
    """psycopg returns this type's values as SQLAlchemy would (no result processing to do)."""
    if isinstance(type_, ARRAY) and not type_.as_tuple:
        return _native(type_.item_type)
    return type_._cached_result_processor(DIALECT, None) is None


def plan(statement, params) -> Plan | None:
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
    compiled = statement.compile(dialect=DIALECT, column_keys=list(columns) if columns is not None else None,
                                 for_executemany=isinstance(params, list))
    runnable = not (compiled.insert_prefetch or compiled.update_prefetch or compiled.literal_execute_params
                    or compiled.post_compile_params or compiled.schema_translate_map)
    if runnable and not all(_native(column[3]) for column in compiled._result_columns):
        runnable = False
    if len(_PLANS) >= _PLANS_MAX:  # statements built per call: forget them now and then
        _PLANS.clear()
    found = Plan(statement, compiled) if runnable else None
    _PLANS[key] = (statement, found)
    return found


async def run(conn: psycopg.AsyncConnection, planned: Plan, params) -> Rows:
    """Run a planned statement on a psycopg connection (a list of parameter sets: an executemany);
    a database error is raised as the SQLAlchemy error it would have been."""
    many = isinstance(params, list)
    values = [planned.values(p) for p in params] if many else planned.values(params or {})
    cursor = conn.cursor(row_factory=planned.row_factory)
    try:
        if many:  # one pipeline of the statement over each parameter set
            await cursor.executemany(planned.sql, values)
            rows = []
        else:
            await cursor.execute(planned.sql, values)
            result = cursor.pgresult
            rows = await cursor.fetchall() if result is not None and result.status == _TUPLES_OK else []
    except psycopg.Error as exc:
        raise DBAPIError.instance(planned.sql, values, exc, psycopg.Error, connection_invalidated=conn.broken,
                                  dialect=DIALECT) from exc
    return Rows(rows, cursor.rowcount)


class AutocommitPool:
    """psycopg's own pool of autocommit connections (rows as named tuples), opened on first use.

    Idle connections are kept aside between units of work rather than returned to psycopg's pool,
    whose getconn and putconn (locks, state checks, bookkeeping) cost as much CPU as a short statement;
    one goes back to the pool after KEPT_SECONDS, so that its max_lifetime and max_idle still apply.
    A connection found broken (PostgreSQL restarted) means the others are too: the whole pool is
    replaced at once rather than failing once per connection (what SQLAlchemy does with its pool).
    """

    def __init__(self, libpq_url: str, *, size: int):
        self._pool = AsyncConnectionPool(libpq_url, min_size=1, max_size=size, open=False,
                                         kwargs={"autocommit": True, "row_factory": named_rows},
                                         name="autocommit")
        self._ready = False
        self._lock = asyncio.Lock()
        self._draining: asyncio.Task | None = None
        self._kept: list[psycopg.AsyncConnection] = []
        self._taken_at: dict[int, float] = {}  # id(connection) -> when it left psycopg's pool
        self._size = size
        self._waiting = 0

    async def acquire(self) -> psycopg.AsyncConnection:
        if self._kept:
            return self._kept.pop()
        if not self._ready:
            async with self._lock:
                if not self._ready:
                    await self._pool.open()
                    self._ready = True
        self._waiting += 1  # a connection released meanwhile goes to the pool, where this waits
        try:
            conn = await self._pool.getconn()
        finally:
            self._waiting -= 1
        self._taken_at[id(conn)] = time.monotonic()
        return conn

    async def release(self, conn: psycopg.AsyncConnection) -> None:
        if conn.broken:
            kept, self._kept = self._kept, []
            for other in kept:  # likely broken too: back to the pool, which drains them all
                self._taken_at.pop(id(other), None)
                await self._pool.putconn(other)
            self._draining = asyncio.get_running_loop().create_task(self._pool.drain())  # a reference keeps it
        elif (self._ready and not self._waiting and len(self._kept) < self._size
              and conn.info.transaction_status == _IDLE
              and time.monotonic() - self._taken_at.get(id(conn), 0.0) < KEPT_SECONDS):
            self._kept.append(conn)
            return
        self._taken_at.pop(id(conn), None)
        await self._pool.putconn(conn)

    async def close(self) -> None:
        if self._ready:
            self._ready = False
            kept, self._kept = self._kept, []
            for conn in kept:
                await self._pool.putconn(conn)
            self._taken_at.clear()
            await self._pool.close()


KEPT_SECONDS = 60.0  # an idle connection goes back through psycopg's pool at least this often
_IDLE = psycopg.pq.TransactionStatus.IDLE
