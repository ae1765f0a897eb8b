"""The scale benchmark loads its national tables bare: what it builds back is what the migrations made."""
from __future__ import annotations

import psycopg
import pytest

from bench import _bulk
from bench import _scale_data as data

CATALOGUE = """
    select 'index ' || indexname || ' ' || indexdef from pg_indexes where schemaname = 'public'
    union all
    select 'constraint ' || conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid)
    from pg_constraint where connamespace = 'public'::regnamespace
    order by 1
"""


def catalogue(dsn: str) -> list[str]:
    with psycopg.connect(data.plain(dsn)) as conn:
        return [row[0] for row in conn.execute(CATALOGUE)]


@pytest.mark.parametrize("service", sorted(data.NATIONAL_TABLES))
def test_stripped_tables_get_back_every_index_and_constraint(infra, service):
    dsn = infra.migrated_database(service)
    migrated = catalogue(dsn)
    tables = data.NATIONAL_TABLES[service]
    build = _bulk.strip(dsn, tables)
    with psycopg.connect(data.plain(dsn)) as conn:
        left = conn.execute("select count(*) from pg_index where indrelid = any(%s::regclass[])", (tables,))
        assert left.fetchone()[0] == 0
    assert catalogue(dsn) != migrated
    _bulk.build_back([build])
    assert catalogue(dsn) == migrated
