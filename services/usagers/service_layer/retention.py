"""RGPD retention of usagers: anonymise, exactly like DELETE does, every usager whose last RDV
ended more than 2 years ago, or who has no RDV and was created more than 2 years ago.

An usager stays while one of its relatives (reached through its contacts) has a recent RDV.
The RDV history comes from the `rdvs` projection (booking's purged RDVs leave it too).
"""
from __future__ import annotations

import logging
import uuid
from datetime import datetime

from sqlalchemy import text

from services.usagers.service_layer.usagers import anonymise
from shared import clock
from shared.db import Database
from shared.identity import Identity

log = logging.getLogger("rdv.usagers.retention")

RETENTION_YEARS = 2

_EXPIRED = text("""
    select u.id, u.organisation_id from usagers u
    where u.anonymized_at is null
      and not exists (select 1 from rdv_usagers ru join rdvs r on r.id = ru.rdv_id
                      where ru.usager_id = u.id and r.ends_at >= :cutoff)
      and (u.created_at < :cutoff or exists (select 1 from rdv_usagers ru where ru.usager_id = u.id))
      and not exists (select 1 from usagers rel join rdv_usagers ru on ru.usager_id = rel.id
                      join rdvs r on r.id = ru.rdv_id
                      where rel.responsible_id = u.id and r.ends_at >= :cutoff)
    order by u.id limit :n
""")


def retention_cutoff(as_of: datetime | None = None) -> datetime:
    """Usagers without an RDV ending after this instant are past their keeping period."""
    instant = as_of or clock.now()
    try:
        return instant.replace(year=instant.year - RETENTION_YEARS)
    except ValueError:  # 29 February
        return instant.replace(year=instant.year - RETENTION_YEARS, day=28)


async def expired_usagers(*, db: Database, cutoff: datetime, limit: int = 500) -> list[tuple[uuid.UUID, uuid.UUID]]:
    async with db.uow() as uow:
        return [(row.id, row.organisation_id)
                for row in (await uow.session.execute(_EXPIRED, {"cutoff": cutoff, "n": limit})).all()]


async def anonymise_expired_usagers(*, db: Database, as_of: datetime | None = None, batch: int = 500) -> int:
    """Anonymise every usager past its keeping period (one transaction each); return how many."""
    cutoff = retention_cutoff(as_of)
    done = 0
    while True:
        expired = await expired_usagers(db=db, cutoff=cutoff, limit=batch)
        if not expired:
            return done
        for usager_id, organisation_id in expired:
            # a concurrent run (another replica) may anonymise it first: `anonymise` then changes nothing
            await anonymise(uow=db.uow(), identity=Identity(kind="system", organisation_id=organisation_id),
                            usager_id=usager_id)
        done += len(expired)
        log.info("retention: %d usagers anonymisés (sans RDV depuis %s)", len(expired), cutoff.isoformat())
