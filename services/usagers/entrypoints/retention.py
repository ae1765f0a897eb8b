"""The retention loop of the usagers service (RGPD): anonymise usagers past their keeping period, daily."""
from __future__ import annotations

import logging
from datetime import datetime

from services.usagers.service_layer.retention import anonymise_expired_usagers
from services.usagers.service_layer.unit_of_work import unit_of_work
from shared.db import Database
from shared.service import run_periodically

log = logging.getLogger("rdv.usagers.retention")

FIRST_RUN_DELAY = 90.0  # seconds after start (after booking's purge has had a chance to arrive)


async def retention_loop(runtime) -> None:
    """Background task of ServiceRuntime: one pass a little after start, then every interval."""
    await run_periodically(lambda: anonymise_expired(db=runtime.db),
                           interval=float(getattr(runtime.settings, "retention_interval_seconds", 86400.0)),
                           first_delay=FIRST_RUN_DELAY, log=log)


async def anonymise_expired(*, db: Database, as_of: datetime | None = None) -> int:
    """One retention pass over the usagers database (also `rdv retention`)."""
    return await anonymise_expired_usagers(uow=unit_of_work(db), as_of=as_of)
