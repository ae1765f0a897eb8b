"""`rdv reporting rebuild`: drop the projections and replay the streams from their start.

Order matters: the projections and the reporting consumers' inbox rows are emptied first (one
transaction), then the durable consumers are deleted and re-created with DeliverPolicy.ALL.
An event applied between the two steps is simply skipped on replay (its inbox row is new), and
running replicas keep pulling from the re-created durables (same names), so the rebuild is safe
while the service runs. The command also consumes until the durables have caught up.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from services.reporting.entrypoints.consumers import CONSUMER_NAMES, make_consumers
from services.reporting.service_layer.rebuild import projection_counts, reset_projections
from services.reporting.service_layer.unit_of_work import ReportingUnitOfWork
from shared.bus import connect, ensure_streams
from shared.db import Database
from shared.inbox import ConsumerRunner
from shared.settings import EmbeddedSettings, PlatformSettings, ProcessSettings

log = logging.getLogger("rdv.reporting.rebuild")


def default_urls() -> tuple[str, str]:
    """The reporting database and NATS: from the environment, else the embedded ones of `rdv up`."""
    process, platform, embedded = ProcessSettings.of("reporting"), PlatformSettings(), EmbeddedSettings()
    db_url = process.database_url or \
        f"postgresql+psycopg://postgres@127.0.0.1:{embedded.pg_port}/rdv_reporting"
    given = "nats_url" in platform.model_fields_set and platform.nats_url
    return db_url, platform.nats_url if given else f"nats://127.0.0.1:{embedded.nats_port}"


async def _caught_up(js, specs) -> bool:
    for spec in specs:
        info = await js.consumer_info(spec.stream, spec.name)
        if info.num_pending or info.num_ack_pending:
            return False
    return True


async def _recreate(db: Database, js, specs) -> list[ConsumerRunner]:
    """Delete the durable consumers and create them again, delivering from the first message of their stream."""
    for spec in specs:
        with contextlib.suppress(Exception):  # absent: nothing to delete
            await js.delete_consumer(spec.stream, spec.name)
    runners = [ConsumerRunner(db, js, spec) for spec in specs]
    for runner in runners:
        await runner.ensure()  # DeliverPolicy.ALL: from the first message of the stream
    return runners


async def _wait_caught_up(js, specs, *, timeout: float) -> None:
    """Until the consumers have nothing left to deliver nor to acknowledge, three checks in a row."""
    deadline = time.monotonic() + timeout
    stable = 0
    while time.monotonic() < deadline:
        stable = stable + 1 if await _caught_up(js, specs) else 0
        if stable >= 3:
            return
        await asyncio.sleep(0.2)
    raise TimeoutError("la reconstruction n'a pas rattrapé les flux à temps")


async def rebuild(*, database_url: str, nats_url: str, wait: bool = True, timeout: float = 600.0) -> dict:
    """Rebuild every reporting projection from the streams; return the counts of the new projection."""
    db = Database(database_url, unit_of_work=ReportingUnitOfWork)
    nc = await connect(nats_url, name="reporting-rebuild", user="reporting")
    runners: list[ConsumerRunner] = []
    try:
        js = nc.jetstream(timeout=10)
        await ensure_streams(js, streams=("REPORTING", "DEADLETTER"))
        await reset_projections(uow=db.uow(), consumers=list(CONSUMER_NAMES))
        specs = make_consumers(batched=True)
        runners = await _recreate(db, js, specs)
        if wait:
            for runner in runners:
                runner.start()
            await _wait_caught_up(js, specs, timeout=timeout)
        return await projection_counts(uow=db.uow())
    finally:
        for runner in runners:
            await runner.stop()
        with contextlib.suppress(Exception):
            await nc.close()
        await db.dispose()


def main() -> int:
    db_url, nats_url = default_urls()
    result = asyncio.run(rebuild(database_url=db_url, nats_url=nats_url))
    print(f"Projections de reporting reconstruites : {result['rdv_facts']} RDV, {result['usagers']} usagers.")
    return 0
