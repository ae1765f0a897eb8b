"""`db.uow(autocommit=True)`: single statements on psycopg directly (shared.db_fast), answering as SQLAlchemy would;
repositories attached to a service's unit of work."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, Text, insert, select, text
from sqlalchemy.exc import IntegrityError, MultipleResultsFound, NoResultFound

from shared.db import Database, UnitOfWork, repository

metadata = MetaData()
items = Table("statement_items", metadata, Column("id", Integer, primary_key=True), Column("name", Text),
              Column("tag", Text, default=lambda: "python-side"))


@pytest.fixture
async def db(infra):
    database = Database(infra.create_database(f"statements_{uuid.uuid4().hex[:8]}"), pool_size=4)
    async with database.uow(autocommit=True) as st:
        await st.execute(text("create extension if not exists btree_gist"))
        await st.execute(text("create table statement_items (id int primary key, name text, tag text)"))
        await st.execute(text("create table spans (room int, during tstzrange, "
                              "exclude using gist (room with =, during with &&))"))
    yield database
    await database.dispose()


async def test_rows_read_like_sqlalchemy_results(db):
    async with db.uow(autocommit=True) as st:
        await st.execute(insert(items), [{"id": 1, "name": "un", "tag": "a"}, {"id": 2, "name": "deux", "tag": "b"}])
        rows = await st.execute(text("select id, name, name as label, 'x' as id from statement_items order by 1"))
        first = rows.first()
        assert (first.id, first.name, first[2], first[3]) == (1, "un", "un", "x")  # a repeated name: the first
        assert [r.name for r in (await st.execute(select(items.c.name).order_by(items.c.id))).all()] == ["un", "deux"]
        assert (await st.execute(select(items.c.id).where(items.c.name == "deux"))).scalar_one() == 2
        assert (await st.execute(text("select id from statement_items order by id"))).scalars().all() == [1, 2]
        assert (await st.execute(text("select 1 where false"))).scalar_one_or_none() is None
        with pytest.raises(NoResultFound):
            (await st.execute(text("select 1 where false"))).one()
        with pytest.raises(MultipleResultsFound):
            (await st.execute(text("select id from statement_items"))).one_or_none()
        updated = await st.execute(text("update statement_items set name = upper(name) where id = any(:ids)"),
                                   {"ids": [1, 2]})
        assert updated.rowcount == 2
        assert (await st.execute(text("select name from statement_items where name like 'U%'"))).scalar() == "UN"


async def test_python_side_defaults_still_apply(db):
    """A statement only SQLAlchemy can run (a Python-side column default) goes through SQLAlchemy."""
    async with db.uow(autocommit=True) as st:
        await st.execute(insert(items), {"id": 3, "name": "trois"})
        assert (await st.execute(text("select tag from statement_items where id = 3"))).scalar() == "python-side"


async def test_errors_are_the_sqlalchemy_errors_and_change_nothing(db):
    async with db.uow(autocommit=True) as st:
        await st.execute(text("insert into spans values (1, tstzrange('2027-03-01 09:00+01', '2027-03-01 10:00+01'))"))
        with pytest.raises(IntegrityError) as refused:
            await st.execute(text("insert into spans values (1, tstzrange(:s, :e))"),
                             {"s": "2027-03-01 09:30+01", "e": "2027-03-01 10:30+01"})
        assert refused.value.orig.sqlstate == "23P01"  # exclusion_violation, as booking reads it
        # The connection is usable again at once (autocommit: nothing was left open).
        assert (await st.execute(text("select count(*) from spans"))).scalar_one() == 1


class Items:
    """A repository: reaches the table through the unit of work it is attached to."""

    def __init__(self, uow):
        self._uow = uow

    async def add(self, *, id: int, name: str) -> None:
        await self._uow.execute(insert(items), {"id": id, "name": name, "tag": "repo"})

    async def names(self) -> list[str]:
        return (await self._uow.execute(select(items.c.name).order_by(items.c.id))).scalars().all()


class ItemsUnitOfWork(UnitOfWork):
    items = repository(Items)


async def test_repositories_hang_on_the_unit_of_work_and_share_its_transaction(infra):
    database = Database(infra.create_database(f"repos_{uuid.uuid4().hex[:8]}"), pool_size=4,
                        unit_of_work=ItemsUnitOfWork)
    try:
        async with database.uow(autocommit=True) as uow:
            await uow.execute(text("create table statement_items (id int primary key, name text, tag text)"))
        async with database.uow() as uow:
            assert uow.items is uow.items  # built once per unit of work
            await uow.items.add(id=1, name="rolled back")
        async with database.uow() as uow:
            await uow.items.add(id=2, name="kept")
            await uow.commit()
        async with database.uow(autocommit=True) as uow:
            assert await uow.items.names() == ["kept"]
    finally:
        await database.dispose()
