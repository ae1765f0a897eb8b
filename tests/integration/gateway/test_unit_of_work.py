"""The gateway's unit of work against real PostgreSQL: a unique value written twice at once (both writers
passed their checks) is a 409 `conflict` in the contract's error tree, not a database error."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest

from gateway.domain.model import Agent, Organisation
from gateway.service_layer.unit_of_work import ConcurrentWrite, unit_of_work
from shared.db import Database

NOW = datetime(2027, 3, 1, 8, 0, tzinfo=timezone.utc)


async def test_a_unique_value_written_twice_is_a_conflict(infra):
    db = Database(infra.migrated_database("gateway"))
    org = Organisation(id=uuid.uuid4(), name="Org", slug=f"org-{uuid.uuid4().hex[:8]}", timezone="Europe/Paris",
                       holiday_zone="metropole", publish_online=False)
    email = f"same-{uuid.uuid4().hex[:8]}@test.rdv"

    def agent() -> Agent:
        return Agent(id=uuid.uuid4(), organisation_id=org.id, email=email, first_name="A", last_name="B",
                     role="basic")

    try:
        async with unit_of_work(db) as uow:
            await uow.directory.add_organisation(org=org, now=NOW)
            await uow.directory.add_agent(agent=agent(), password_hash="x", now=NOW)
            await uow.commit()
        with pytest.raises(ConcurrentWrite) as err:
            async with unit_of_work(db) as uow:
                await uow.directory.add_agent(agent=agent(), password_hash="x", now=NOW)
                await uow.commit()
        assert err.value.status == 409
        assert err.value.body() == {"error": {"code": "conflict", "details": {},
                                              "message": "Cette valeur est déjà utilisée (écriture concurrente)."}}
    finally:
        await db.dispose()
