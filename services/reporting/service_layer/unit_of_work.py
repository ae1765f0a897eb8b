"""The reporting service's unit of work: one transaction and the repositories that work in it.

Use cases and event handlers reach the database only through it (`uow.projections`, `uow.exports`,
`uow.stats`); routes and the worker make one with `unit_of_work(db)`, consumers wrap the inbox's
transaction with `ReportingUnitOfWork(uow)` so that the handler's writes commit with the event's inbox row.
"""
from __future__ import annotations

from typing import Any

from services.reporting.adapters.exports_repo import ExportRepository
from services.reporting.adapters.projections import ProjectionRepository
from services.reporting.adapters.stats_sql import StatsRepository
from shared.db import Database, UnitOfWork
from shared.events import Envelope


class ReportingUnitOfWork:
    """`async with uow:` opens the transaction, `await uow.commit()` commits it (rolled back otherwise)."""

    def __init__(self, transaction: UnitOfWork):
        self.transaction = transaction
        self.projections = ProjectionRepository(transaction)
        self.exports = ExportRepository(transaction)
        self.stats = StatsRepository(transaction)

    async def __aenter__(self) -> "ReportingUnitOfWork":
        await self.transaction.__aenter__()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.transaction.__aexit__(*exc)

    def publish(self, envelope: Envelope) -> None:
        """Write the event to the outbox in this transaction."""
        self.transaction.publish(envelope)

    async def commit(self) -> None:
        await self.transaction.commit()


def unit_of_work(db: Database) -> ReportingUnitOfWork:
    return ReportingUnitOfWork(db.uow())
