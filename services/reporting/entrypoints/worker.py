"""The export worker: a background task of every replica. Jobs are claimed with
FOR UPDATE SKIP LOCKED, so replicas share the queue without taking the same job twice."""
from __future__ import annotations

import asyncio
import functools
import logging
import time

from services.reporting.adapters.xlsx_export import write_rdv_export
from services.reporting.service_layer import exports
from shared import clock

log = logging.getLogger("rdv.reporting.worker")


async def export_worker(runtime) -> None:
    settings = runtime.settings
    wake = asyncio.Event()
    runtime.export_wakeup = wake  # POST /exports wakes it up at once
    settings.exports_dir.mkdir(parents=True, exist_ok=True)
    last_cleanup = 0.0
    # The file is written from a server-side cursor on a connection of its own, in a thread (constant memory).
    write_export = functools.partial(write_rdv_export, dsn=settings.sync_database_url())
    while True:
        try:
            if time.monotonic() - last_cleanup >= settings.export_cleanup_interval_seconds:
                last_cleanup = time.monotonic()
                removed = await exports.remove_expired(uow=runtime.db.uow(), now=clock.now())
                if removed:
                    log.info("removed %d expired export file(s)", removed)
            if await exports.run_next_job(uows=runtime.db.uow, write_export=write_export,
                                          exports_dir=settings.exports_dir, now_fn=clock.now,
                                          ttl_days=settings.export_ttl_days,
                                          stale_seconds=settings.export_stale_seconds):
                continue
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # database down: keep the worker alive, try again
            log.warning("export worker: %r", exc)
        try:
            await asyncio.wait_for(wake.wait(), timeout=settings.export_poll_seconds)
        except asyncio.TimeoutError:
            pass
        wake.clear()
