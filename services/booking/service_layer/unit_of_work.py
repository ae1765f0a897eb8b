"""The booking service's unit of work: `shared.db.UnitOfWork` with its repositories."""
from __future__ import annotations

from services.booking.adapters.catalogue import CatalogueRepository
from services.booking.adapters.repository import RdvRepository
from shared.db import Database, UnitOfWork, repository


class BookingUnitOfWork(UnitOfWork):
    rdvs = repository(RdvRepository)
    catalogue = repository(CatalogueRepository)


def unit_of_work(db: Database, *, autocommit: bool = False) -> BookingUnitOfWork:
    """The booking unit of work on `db` (also on a `Database` made without it, as the CLI's retention run)."""
    return BookingUnitOfWork(db, autocommit=autocommit)
