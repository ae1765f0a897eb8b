"""Bulk loads without indexes, for `bench/_scale_data.py`: the national tables take their rows with no index or
constraint to keep up to date, and build them afterwards, each in one sorted pass; the definitions are read
back from the catalogue, so what is built is what the migrations made. Also the sets' vacuum and sizes."""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import psycopg
from psycopg import sql


def plain(dsn: str) -> str:
    """A libpq DSN from a SQLAlchemy URL."""
    return dsn.replace("postgresql+psycopg://", "postgresql://")


_CONSTRAINTS = """
    select c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid), c.contype = 'f'
    from pg_constraint c
    where c.contype in ('p', 'u', 'x', 'f')
      and (c.conrelid = any(%(tables)s::regclass[]) or c.confrelid = any(%(tables)s::regclass[]))
    order by c.contype = 'f' desc, c.conname
"""
_INDEXES = """
    select i.indrelid::regclass::text, i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
    from pg_index i
    where i.indrelid = any(%(tables)s::regclass[])
      and not exists (select 1 from pg_constraint c
                      where c.conindid = i.indexrelid and c.contype in ('p', 'u', 'x'))
    order by 2
"""
BUILD_MEMORY = "1GB"  # maintenance_work_mem of each index build: sorts and GIN entries stay in memory
BUILDERS = 3  # index builds at once, across tables and databases


@dataclass
class Build:
    """What to build back in one database once loaded: the tables' indexes, their keys and exclusion
    constraints, then the foreign keys (which need the keys)."""

    dsn: str
    indexes: list[tuple[str, str]]  # (table, create index ...)
    constraints: dict[str, list[str]]  # table: [alter table ... add constraint ...]
    foreign_keys: list[str]


def strip(dsn: str, tables: list[str]) -> Build:
    """Drop the indexes and constraints of `tables` (and foreign keys onto them); return how to build them back."""
    build = Build(dsn, [], {}, [])
    with psycopg.connect(plain(dsn), autocommit=True) as conn:
        constraints = conn.execute(_CONSTRAINTS, {"tables": tables}).fetchall()
        indexes = conn.execute(_INDEXES, {"tables": tables}).fetchall()
        for table, name, definition, foreign in constraints:  # foreign keys first: they use the keys
            conn.execute(sql.SQL("alter table {} drop constraint {}").format(sql.SQL(table), sql.Identifier(name)))
            add = f"alter table {table} add constraint {sql.Identifier(name).as_string(conn)} {definition}"
            if foreign:
                build.foreign_keys.append(add)
            else:
                build.constraints.setdefault(table, []).append(add)
        for table, name, definition in indexes:
            conn.execute(sql.SQL("drop index {}").format(sql.SQL(name)))
            build.indexes.append((table, definition))
    return build


def build_back(builds: list[Build], say=None) -> None:
    """Build every index and constraint, BUILDERS at once, the biggest tables' first; then the foreign keys.

    Indexes of one table build side by side (each reads the table under a share lock); a table's
    keys and exclusion constraint are one task, as adding a constraint locks the table."""
    def run(dsn: str, statements: list[str]) -> None:
        with psycopg.connect(plain(dsn), autocommit=True) as conn:
            conn.execute(f"set maintenance_work_mem = '{BUILD_MEMORY}'")
            conn.execute("set max_parallel_maintenance_workers = 0")  # the builds run side by side instead
            for statement in statements:
                started = time.perf_counter()
                conn.execute(statement)
                if say:
                    say(f"    {time.perf_counter() - started:4.0f} s  {statement[:100]}")

    tasks = []
    for build in builds:
        with psycopg.connect(plain(build.dsn)) as conn:
            tables = {t for t, _ in build.indexes} | set(build.constraints)
            size = {t: conn.execute("select pg_table_size(%s::regclass)", (t,)).fetchone()[0] for t in tables}
        # An exclusion constraint's GiST index takes longest to build by far: it starts first.
        tasks += [(" EXCLUDE " in " ".join(statements), size[t], build.dsn, statements)
                  for t, statements in build.constraints.items()]
        tasks += [(False, size[t], build.dsn, [statement]) for t, statement in build.indexes]
    tasks.sort(key=lambda task: task[:2], reverse=True)
    with ThreadPoolExecutor(BUILDERS) as pool:
        for done in [pool.submit(run, dsn, statements) for _slow, _size, dsn, statements in tasks]:
            done.result()
    with ThreadPoolExecutor(BUILDERS) as pool:
        for done in [pool.submit(run, b.dsn, b.foreign_keys) for b in builds if b.foreign_keys]:
            done.result()


def vacuum_analyze(dsns: dict[str, str]) -> None:
    for dsn in dsns.values():
        with psycopg.connect(plain(dsn), autocommit=True) as conn:
            conn.execute("vacuum analyze")


def sizes(dsns: dict[str, str]) -> dict[str, int]:
    out = {}
    for service, dsn in dsns.items():
        with psycopg.connect(plain(dsn)) as conn:
            out[service] = conn.execute("select pg_database_size(current_database())").fetchone()[0]
    return out
