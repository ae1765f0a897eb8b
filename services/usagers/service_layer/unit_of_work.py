"""The usagers service's unit of work: one transaction and the repositories that work in it.

Use cases and event handlers reach the database only through it (`uow.usagers`, `uow.projections`).
The runtime's database makes them (`runtime.db.uow()`, and the inbox for each event it applies); code
holding a database of its own makes one with `unit_of_work(db)`.
"""
from __future__ import annotations

from services.usagers.adapters.projections import ProjectionRepository
from services.usagers.adapters.repository import UsagerRepository
from shared.db import Database, UnitOfWork, repository


class UsagersUnitOfWork(UnitOfWork):
    usagers = repository(UsagerRepository)
    projections = repository(ProjectionRepository)


def unit_of_work(db: Database) -> UsagersUnitOfWork:
    return UsagersUnitOfWork(db)
