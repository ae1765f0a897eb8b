"""The reporting service's unit of work: one transaction and the repositories that work in it.

Use cases and event handlers reach the database only through it (`uow.projections`, `uow.exports`,
`uow.stats`). The runtime's database makes them (`runtime.db.uow()`, and the inbox for each event it
applies); so does any database given the class (`Database(url, unit_of_work=ReportingUnitOfWork)`).
"""
from __future__ import annotations

from services.reporting.adapters.exports_repo import ExportRepository
from services.reporting.adapters.projections import ProjectionRepository
from services.reporting.adapters.stats_sql import StatsRepository
from shared.db import UnitOfWork, repository


class ReportingUnitOfWork(UnitOfWork):
    projections = repository(ProjectionRepository)
    exports = repository(ExportRepository)
    stats = repository(StatsRepository)

