"""The retention loop of the booking service (RGPD): purge RDVs past their keeping period, daily."""
from __future__ import annotations

import logging

from services.booking.service_layer.retention import purge_expired_rdvs
from shared.service import run_periodically

log = logging.getLogger("rdv.booking.retention")

FIRST_RUN_DELAY = 60.0  # seconds after start: leave the service its start-up first


async def retention_loop(runtime) -> None:
    """Background task of ServiceRuntime: one purge a little after start, then every interval."""
    async def purge() -> None:
        purged = await purge_expired_rdvs(db=runtime.db)
        if purged:
            log.info("retention: %d RDV supprimés au total", purged)

    await run_periodically(purge, interval=float(getattr(runtime.settings, "retention_interval_seconds", 86400.0)),
                           first_delay=FIRST_RUN_DELAY, log=log)
