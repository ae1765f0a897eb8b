"""RGPD retention: an RDV is kept 2 years after its end, then deleted with its history.

Each deletion publishes `booking.rdv.purged` in the same transaction, so that every consumer
drops what it holds of that RDV. Batches are claimed `FOR UPDATE SKIP LOCKED`: replicas (and
`rdv retention run`) may purge at the same time without deleting or announcing an RDV twice.
"""
from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import text

from shared import clock
from shared.db import Database
from shared.events import new_event

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
    while True:
        async with db.uow() as uow:
            rows = (await uow.session.execute(text(
                "select id, organisation_id, agent_ids, usager_ids, ends_at from rdvs where ends_at < :cutoff "
                "order by ends_at limit :n for update skip locked"), {"cutoff": cutoff, "n": batch})).all()
            if not rows:
                return purged
            ids = [row.id for row in rows]
            # rdv_agents and rdv_status_changes go with their RDV (on delete cascade)
            await uow.session.execute(text("delete from rdvs where id = any(:ids)"), {"ids": ids})
            # the events already published about these RDVs (kept in the outbox) hold them too
            await uow.session.execute(text(
                "delete from outbox where sent_at is not null and payload->'data'->'rdv'->>'id' = any(:ids)"),
                {"ids": [str(i) for i in ids]})
            for row in rows:
                uow.publish(new_event("booking.rdv.purged", organisation_id=row.organisation_id, actor=SYSTEM, data={
                    "rdv_id": str(row.id), "usager_ids": [str(u) for u in row.usager_ids],
                    "agent_ids": [str(a) for a in row.agent_ids], "ends_at": row.ends_at.isoformat()}))
            await uow.commit()
        purged += len(rows)
        log.info("retention: %d RDV supprimés (fin avant %s)", len(rows), cutoff.isoformat())
