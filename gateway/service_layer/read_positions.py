"""Use case of reads after writes (shared.consistency): keep the positions an organisation's writes were
answered with, for every later read through any gateway replica."""
from __future__ import annotations

import uuid

from gateway.service_layer.unit_of_work import unit_of_work
from shared.consistency import Positions
from shared.db import Database


async def record(*, db: Database, organisation_id: uuid.UUID, positions: Positions) -> None:
    """One upsert of its own (positions only grow), committed before the write's answer leaves the gateway."""
    async with unit_of_work(db, autocommit=True) as uow:
        await uow.positions.record(organisation_id=organisation_id, positions=positions)
