"""RGPD hygiene of the gateway: stored Idempotency-Key responses (they may hold an usager's name,
contacts or birth date, e.g. the answer of POST /usagers or of a public booking) are deleted once
past their validity (GATEWAY_IDEMPOTENCY_TTL_HOURS), instead of staying until the key is reused."""
from __future__ import annotations

import logging
from datetime import datetime

from gateway.service_layer import idempotency
from shared.db import Database
from shared.service import run_periodically

log = logging.getLogger("rdv.gateway.retention")

INTERVAL = 3600.0  # seconds between two passes


async def purge_idempotency_keys(*, db: Database, ttl_hours: int = 24, as_of: datetime | None = None) -> int:
    """Delete the stored responses older than their validity; return how many."""
    return await idempotency.purge(db=db, ttl_hours=ttl_hours, as_of=as_of)


async def retention_loop(runtime) -> None:
    """Background task of the gateway's runtime: one pass a minute after start, then hourly."""
    await run_periodically(lambda: purge_idempotency_keys(db=runtime.db,
                                                          ttl_hours=runtime.settings.idempotency_ttl_hours),
                           interval=INTERVAL, first_delay=60.0, log=log)
