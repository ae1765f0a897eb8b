"""The retention loop of the usagers service (RGPD): anonymise usagers past their keeping period, daily."""
from __future__ import annotations

import asyncio
import logging

from services.usagers.service_layer.retention import anonymise_expired_usagers

log = logging.getLogger("rdv.usagers.retention")

FIRST_RUN_DELAY = 90.0  # seconds after start (after booking's purge has had a chance to arrive)


async def retention_loop(runtime) -> None:
    """Background task of ServiceRuntime: one pass a little after start, then every interval."""
    interval = float(getattr(runtime.settings, "retention_interval_seconds", 86400.0))
    if interval <= 0:
        log.info("retention: désactivée (intervalle %s)", interval)
        return
    await asyncio.sleep(min(FIRST_RUN_DELAY, interval))
    while True:
        try:
            await anonymise_expired_usagers(db=runtime.db)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("retention: échec (%r), nouvel essai au prochain passage", exc)
        await asyncio.sleep(interval)
