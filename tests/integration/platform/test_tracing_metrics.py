"""Observability of a running service: consumer lag read periodically from JetStream, /metrics."""
from __future__ import annotations

import asyncio
import time
import uuid

import httpx
from prometheus_client import REGISTRY

from shared.bus import connect
from shared.events import Envelope
from shared.inbox import Consumer
from shared.service import ServiceRuntime
from shared.settings import ServiceSettings


def _gauge(name: str, consumer: str) -> float | None:
    return REGISTRY.get_sample_value(name, {"consumer": consumer})


async def _until(predicate, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("timed out")


async def test_consumer_lag_is_measured_while_a_consumer_falls_behind_and_catches_up(infra):
    subject = f"booking.lag{uuid.uuid4().hex[:8]}.created"
    name = f"lagtest-{uuid.uuid4().hex[:8]}"
    gate = asyncio.Event()
    applied: list = []

    async def slow(uow, envelope):
        await gate.wait()
        applied.append(envelope.id)

    settings = ServiceSettings(database_url=infra.migrated_database("booking"), nats_url=infra.nats_url)
    runtime = ServiceRuntime("lagtest", settings,
                             consumers=[Consumer(name=name, stream="BOOKING", subjects=[subject], handler=slow,
                                                 batch=1)])
    runtime.lag_interval = 0.1
    publisher = await connect(infra.nats_url, name="lag-publisher")
    js = publisher.jetstream(timeout=5)
    await runtime.start()
    try:
        for n in range(5):
            ev = Envelope(type=subject, data={"n": n})
            await js.publish(subject, ev.to_json(), headers={"Nats-Msg-Id": str(ev.id)})
        # one message is held by the slow handler, four wait on the server
        await _until(lambda: _gauge("rdv_consumer_pending", name) == 4
                     and _gauge("rdv_consumer_ack_pending", name) == 1)
        gate.set()
        await _until(lambda: len(applied) == 5 and _gauge("rdv_consumer_pending", name) == 0
                     and _gauge("rdv_consumer_ack_pending", name) == 0)

        app = runtime.create_app()
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://svc") as client:
            body = (await client.get("/metrics")).text
        assert f'rdv_consumer_pending{{consumer="{name}"}} 0.0' in body
        assert 'rdv_outbox_backlog{service="lagtest"}' in body
        for family in ("rdv_http_request_seconds", "rdv_events_consumed_total", "rdv_notifications_total",
                       "rdv_export_seconds"):
            assert f"# TYPE {family}" in body
    finally:
        await runtime.stop()
        await publisher.close()
