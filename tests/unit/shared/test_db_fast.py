"""The psycopg fast path reads SQLAlchemy compiler internals: it is pinned to the SQLAlchemy it was checked on."""
from __future__ import annotations

import sqlalchemy
from sqlalchemy import Column, Integer, MetaData, Table, Text, bindparam, insert, select, text

from shared import db_fast

metadata = MetaData()
items = Table("items", metadata, Column("id", Integer, primary_key=True), Column("name", Text),
              Column("tag", Text, default=lambda: "python-side"))


def test_pinned_to_the_installed_sqlalchemy():
    # Upgrading SQLAlchemy: run tests/integration/platform/test_statements.py, check the attributes
    # below still mean what db_fast reads them for, then move the pin.
    assert sqlalchemy.__version__ == db_fast.SQLALCHEMY_VERSION


def test_the_compiler_internals_it_reads_are_there():
    compiled = select(items.c.id, items.c.name).compile(dialect=db_fast.DIALECT)
    assert isinstance(compiled._bind_processors, dict)
    assert [column[3].__class__ for column in compiled._result_columns] == [Integer, Text]
    assert Integer()._cached_result_processor(db_fast.DIALECT, None) is None


def test_plans_what_psycopg_can_run_alone_and_leaves_the_rest_to_sqlalchemy():
    planned = db_fast.plan(text("select id from items where name = :n"), {"n": "x"})
    assert planned.sql == "select id from items where name = %(n)s"
    assert planned.values({"n": "x"}) == {"n": "x"}
    assert db_fast.plan(insert(items), {"id": 1, "name": "x"}) is None  # Python-side default of `tag`
    assert db_fast.plan(insert(items), {"id": 1, "name": "x", "tag": "t"}) is not None
    expanding = select(items.c.id).where(items.c.id.in_(bindparam("ids", expanding=True)))
    assert db_fast.plan(expanding, {"ids": [1, 2]}) is None


def test_a_statement_is_compiled_once():
    statement = text("select 1")
    assert db_fast.plan(statement, None) is db_fast.plan(statement, None)
