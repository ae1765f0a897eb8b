"""The retention loop of the booking service (RGPD): purge RDVs past their keeping period, daily."""
from __future__ import annotations

import asyncio
import logging

from services.booking.service_layer.retention import purge_expired_rdvs

log = logging.getLogger("rdv.booking.retention")

FIRST_RUN_DELAY = 60.0  # seconds after start: leave the service its start-up first


async def retention_loop(runtime) -> None:
    """Background task of ServiceRuntime: one purge a little after start, then every interval."""
    interval = float(getattr(runtime.settings, "retention_interval_seconds", 86400.0))
    if interval <= 0:
        log.info("retention: désactivée (intervalle %s)", interval)
        return
    await asyncio.sleep(min(FIRST_RUN_DELAY, interval))
    while True:
        try:
            purged = await purge_expired_rdvs(db=runtime.db)
            if purged:
                log.info("retention: %d RDV supprimés au total", purged)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the database may be down: try again next time
            log.warning("retention: échec (%r), nouvel essai au prochain passage", exc)
        await asyncio.sleep(interval)
