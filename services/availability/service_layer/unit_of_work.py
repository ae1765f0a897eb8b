"""The availability service's unit of work: `shared.db.UnitOfWork` with its repositories."""
from __future__ import annotations

from services.availability.adapters.busy import BusyRepository
from services.availability.adapters.repository import AgendaRepository, CatalogueRepository
from shared.db import Database, UnitOfWork, repository


class AvailabilityUnitOfWork(UnitOfWork):
    catalogue = repository(CatalogueRepository)  # lieux, motifs
    agenda = repository(AgendaRepository)  # plages, absences, the reads of a search or a check
    busy = repository(BusyRepository)  # the busy projection


def unit_of_work(db: Database, *, autocommit: bool = False) -> AvailabilityUnitOfWork:
    """The availability unit of work on `db` (also on a `Database` made without it)."""
    return AvailabilityUnitOfWork(db, autocommit=autocommit)
