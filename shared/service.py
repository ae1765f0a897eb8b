"""The floor every service stands on: a FastAPI app with its database, NATS, outbox
relay, inbox consumers, /healthz, /readyz and /metrics.

    runtime = ServiceRuntime("booking", settings, consumers=[...])
    app = runtime.create_app(routers=[...])
Routes reach the runtime through `request.app.state.runtime` (or the `get_runtime` dependency).
"""
from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time
from typing import Awaitable, Callable, Iterable

from fastapi import APIRouter, FastAPI, Request

from shared import metrics, tracing
from shared.bus import connect, ensure_streams
from shared.consistency import POSITION_HEADER, ConsistencyMiddleware, ReadBarrier, note_events_committed
from shared.db import Database, UnitOfWork
from shared.inbox import Consumer, ConsumerRunner
from shared.logging import configure_logging
from shared.relay import OutboxRelay
from shared.settings import PlatformSettings, ServiceSettings
from shared.web.errors import install_error_handlers
from shared.web.hot import HotRoute, HotRoutes
from shared.web.probes import install_probes
from shared.web.tracing import TracingMiddleware

log = logging.getLogger("rdv.service")


def tune_garbage_collector() -> None:
    """Keep the collector off the long-lived heap (called once a service has started).

    A request or a search builds thousands of short-lived objects; each collection of the oldest
    generation would rescan every object of the process (FastAPI, SQLAlchemy, pydantic models):
    it doubled a créneaux search's CPU time. Objects alive after startup are frozen out of
    collection, and the youngest generation is collected less often.
    """
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


async def run_periodically(job: Callable[[], Awaitable[object]], *, interval: float, first_delay: float,
                           log: logging.Logger, what: str = "retention") -> None:
    """A background task: `job` a little after start (`first_delay`, at most `interval`), then every
    `interval` seconds; a failed pass (the database may be down) is logged and tried again at the next
    one. An interval of 0 or less turns it off."""
    if interval <= 0:
        log.info("%s: désactivée (intervalle %s)", what, interval)
        return
    await asyncio.sleep(min(first_delay, interval))
    while True:
        try:
            await job()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("%s: échec (%r), nouvel essai au prochain passage", what, exc)
        await asyncio.sleep(interval)


class ServiceRuntime:
    lag_interval = 5.0  # seconds between two readings of the consumers' pending counts

    def __init__(self, name: str, settings: ServiceSettings, *,
                 consumers: Iterable[Consumer] = (),
                 background: Iterable[Callable[["ServiceRuntime"], "asyncio.Future"]] = (),
                 read_after_writes: bool = True, unit_of_work: type[UnitOfWork] = UnitOfWork):
        self.name = name
        self.unit_of_work = unit_of_work  # the service's, with its repositories (shared.db)
        # Whether reads wait for the positions the gateway sends (shared.consistency); reporting's
        # statistics may trail instead, and say how far (`as_of`).
        self.read_after_writes = read_after_writes
        self.barrier: ReadBarrier | None = None
        self.settings = settings
        self.consumer_specs = list(consumers)
        self.background_factories = list(background)
        self.db: Database | None = None
        self.nc = None
        self.js = None
        self.relay: OutboxRelay | None = None
        self.runners: list[ConsumerRunner] = []
        self._tasks: list[asyncio.Task] = []
        self.started_at = time.time()

    async def start(self) -> None:
        self.settings.check_production()  # before anything connects: a refused default stops the process
        configure_logging(self.name)
        tracing.setup(self.name)
        self.db = Database(self.settings.database_url, pool_size=self.settings.db_pool_size,
                           max_overflow=self.settings.db_max_overflow, unit_of_work=self.unit_of_work)
        self.nc = await connect(self.settings.nats_url, name=self.name, user=self.name)
        self.js = self.nc.jetstream(timeout=5)
        # Its own stream only (the bus's permissions allow no more): a consumed stream is its owner's to
        # create, and a consumer waits for it (shared.inbox retries).
        await ensure_streams(self.js, streams=(self.stream, "DEADLETTER"))
        self.relay = OutboxRelay(self.db, self.js, interval=self.settings.relay_interval_seconds,
                                 service=self.name, stream=self.stream)
        self.db.on_commit = self._committed
        self.relay.start()
        for spec in self.consumer_specs:
            spec.max_deliver = self.settings.consumer_max_deliver
            runner = ConsumerRunner(self.db, self.js, spec)
            runner.start()
            self.runners.append(runner)
        for factory in self.background_factories:
            self._tasks.append(asyncio.create_task(factory(self)))
        if self.runners:
            self._tasks.append(asyncio.create_task(self._watch_consumer_lag(), name=f"lag-{self.name}"))
        if self.read_after_writes:
            self.barrier = ReadBarrier(self.js, self.runners)
        tune_garbage_collector()

    @property
    def stream(self) -> str:
        """The stream this process publishes to (the gateway publishes the directory's events)."""
        return "DIRECTORY" if self.name == "gateway" else self.name.upper()

    async def position_headers(self, scope, stream: str, position: int) -> list[tuple[bytes, bytes]]:
        """The answer's headers for the position of a write's events (the gateway records them)."""
        return [(POSITION_HEADER.encode(), f"{stream}:{position}".encode())]

    def _committed(self) -> None:
        """After a commit that wrote events: wake the relay, and have the request publish them before it
        answers (reads after writes)."""
        self.relay.wake()
        note_events_committed()

    async def refresh_consumer_lag(self) -> None:
        """Read num_pending / num_ack_pending of each durable consumer into the metrics."""
        for runner in self.runners:
            try:
                info = await self.js.consumer_info(runner.c.stream, runner.c.name)
            except Exception as exc:  # consumer not created yet, NATS down: try again next time
                log.debug("consumer %s info: %r", runner.c.name, exc)
                continue
            metrics.consumer_lag.labels(runner.c.name).set(info.num_pending or 0)
            metrics.consumer_ack_pending.labels(runner.c.name).set(info.num_ack_pending or 0)

    async def _watch_consumer_lag(self) -> None:
        while True:
            await self.refresh_consumer_lag()
            await asyncio.sleep(self.lag_interval)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for runner in self.runners:
            await runner.stop()
        if self.relay:
            await self.relay.stop()
        if self.nc:
            # drain() waits for the pull subscriptions (up to nats-py's 30 s drain timeout): bound it.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.nc.drain(), timeout=2.0)
            with contextlib.suppress(Exception):
                await self.nc.close()
        if self.db:
            await self.db.dispose()
        tracing.flush()

    async def readiness(self) -> dict:
        db_ok = await self.db.ping() if self.db else False
        nats_ok = bool(self.nc and self.nc.is_connected)
        return {"database": "ok" if db_ok else "down", "nats": "ok" if nats_ok else "down"}

    def create_app(self, *, routers: Iterable[APIRouter] = (), title: str | None = None,
                   hot_routes: Iterable[HotRoute] = ()) -> FastAPI:
        """The service's app; `hot_routes` stand in for some of the routers' routes (shared.web.hot)."""
        runtime = self

        @contextlib.asynccontextmanager
        async def lifespan(app: FastAPI):
            await runtime.start()
            try:
                yield
            finally:
                await runtime.stop()

        # FastAPI's own OpenTelemetry layer would trace, measure and log every request a second time
        # (shared.tracing does it once, with our request ids): it stays off.
        app = FastAPI(title=title or f"rdv {self.name}", lifespan=lifespan,
                      telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False})
        app.state.runtime = self
        install_error_handlers(app)
        tracing.setup(self.name)
        hot = list(hot_routes) if PlatformSettings().hot_routes else []
        if hot:
            app.add_middleware(HotRoutes, routes=hot)  # added first: innermost, before the router
        # A write's events are published before its answer leaves, a read waits for the positions it is
        # asked to read after (shared.consistency).
        app.add_middleware(ConsistencyMiddleware, runtime=self)
        app.add_middleware(TracingMiddleware, service=self.name)  # also times each request

        install_probes(app, self)
        for router in routers:
            app.include_router(router)
        return app


def get_runtime(request: Request) -> ServiceRuntime:
    return request.app.state.runtime
