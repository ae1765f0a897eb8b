"""The usagers service's unit of work: one transaction and the repositories that work in it.

Use cases and event handlers reach the database only through it (`uow.usagers`, `uow.projections`);
routes and workers make one with `unit_of_work(db)`, consumers wrap the inbox's transaction with
`UsagersUnitOfWork(uow)` so that the handler's writes commit with the event's inbox row.
"""
from __future__ import annotations

from typing import Any

from services.usagers.adapters.projections import ProjectionRepository
from services.usagers.adapters.repository import UsagerRepository
from shared.db import Database, UnitOfWork
from shared.events import Envelope


class UsagersUnitOfWork:
    """`async with uow:` opens the transaction, `await uow.commit()` commits it (rolled back otherwise)."""

    def __init__(self, transaction: UnitOfWork):
        self.transaction = transaction
        self.usagers = UsagerRepository(transaction)
        self.projections = ProjectionRepository(transaction)

    async def __aenter__(self) -> "UsagersUnitOfWork":
        await self.transaction.__aenter__()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.transaction.__aexit__(*exc)

    def publish(self, envelope: Envelope) -> None:
        """Write the event to the outbox in this transaction."""
        self.transaction.publish(envelope)

    async def commit(self) -> None:
        await self.transaction.commit()


def unit_of_work(db: Database) -> UsagersUnitOfWork:
    return UsagersUnitOfWork(db.uow())
