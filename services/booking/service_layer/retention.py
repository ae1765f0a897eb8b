"""RGPD retention: an RDV is kept 2 years after its end, then deleted with its history.

Each deletion publishes `booking.rdv.purged` in the same transaction, so that every consumer
drops what it holds of that RDV. Batches are claimed `FOR UPDATE SKIP LOCKED`: replicas (and
`rdv retention run`) may purge at the same time without deleting or announcing an RDV twice.
"""
from __future__ import annotations

import logging
from datetime import datetime

from services.booking.service_layer.unit_of_work import unit_of_work
from shared import clock
from shared.db import Database
from shared.events import RdvPurgedData, new_event

log = logging.getLogger("rdv.booking.retention")

RETENTION_YEARS = 2
SYSTEM = {"kind": "system", "id": None}


def years_before(instant: datetime, years: int) -> datetime:
    """The same instant `years` calendar years earlier (29 February -> 28 February)."""
    try:
        return instant.replace(year=instant.year - years)
    except ValueError:
        return instant.replace(year=instant.year - years, day=28)


def retention_cutoff(as_of: datetime | None = None) -> datetime:
    """RDVs that ended before this instant are past their keeping period."""
    return years_before(as_of or clock.now(), RETENTION_YEARS)


async def purge_expired_rdvs(*, db: Database, as_of: datetime | None = None, batch: int = 500) -> int:
    """Delete every RDV that ended more than 2 years before `as_of` (default now); return how many."""
    cutoff = retention_cutoff(as_of)
    purged = 0
    while count := await _purge_batch(db, cutoff=cutoff, batch=batch):
        purged += count
        log.info("retention: %d RDV supprimés (fin avant %s)", count, cutoff.isoformat())
    return purged


async def _purge_batch(db: Database, *, cutoff: datetime, batch: int) -> int:
    """Delete one batch of expired RDVs (claimed: a concurrent purge takes others) and announce each."""
    async with unit_of_work(db) as uow:
        rows = await uow.rdvs.claim_expired(cutoff=cutoff, limit=batch)
        if not rows:
            return 0
        await uow.rdvs.delete_with_published_events(rdv_ids=[row.id for row in rows])
        for row in rows:
            uow.publish(new_event("booking.rdv.purged", organisation_id=row.organisation_id, actor=SYSTEM,
                                  data=RdvPurgedData(rdv_id=row.id, usager_ids=list(row.usager_ids),
                                                     agent_ids=list(row.agent_ids), ends_at=row.ends_at)))
        await uow.commit()
        return len(rows)
