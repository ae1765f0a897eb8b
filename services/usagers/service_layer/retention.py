"""RGPD retention of usagers: anonymise, exactly like DELETE does, every usager whose last RDV
ended more than 2 years ago, or who has no RDV and was created more than 2 years ago.

An usager stays while one of its relatives (reached through its contacts) has a recent RDV.
The RDV history comes from the `rdvs` projection (booking's purged RDVs leave it too).
"""
from __future__ import annotations

import logging
from datetime import datetime

from services.usagers.service_layer.unit_of_work import UsagersUnitOfWork
from services.usagers.service_layer.usagers import anonymise
from shared import clock
from shared.identity import Identity

log = logging.getLogger("rdv.usagers.retention")

RETENTION_YEARS = 2


def retention_cutoff(as_of: datetime | None = None) -> datetime:
    """Usagers without an RDV ending after this instant are past their keeping period."""
    instant = as_of or clock.now()
    try:
        return instant.replace(year=instant.year - RETENTION_YEARS)
    except ValueError:  # 29 February
        return instant.replace(year=instant.year - RETENTION_YEARS, day=28)


async def anonymise_expired_usagers(*, uow: UsagersUnitOfWork, as_of: datetime | None = None,
                                    batch: int = 500) -> int:
    """Anonymise every usager past its keeping period (one transaction each); return how many."""
    cutoff = retention_cutoff(as_of)
    done = 0
    while True:
        async with uow:
            expired = await uow.usagers.expired(cutoff=cutoff, limit=batch)
        if not expired:
            return done
        for usager_id, organisation_id in expired:
            # a concurrent run (another replica) may anonymise it first: `anonymise` then changes nothing
            await anonymise(uow=uow, identity=Identity(kind="system", organisation_id=organisation_id),
                            usager_id=usager_id)
        done += len(expired)
        log.info("retention: %d usagers anonymisés (sans RDV depuis %s)", len(expired), cutoff.isoformat())
