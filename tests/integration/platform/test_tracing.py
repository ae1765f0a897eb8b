"""Traces and correlation ids: traceparent over HTTP and NATS, request/trace ids in the JSON logs,
spans exported over OTLP only when an endpoint is configured."""
from __future__ import annotations

import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from opentelemetry import trace
from sqlalchemy import text

from rdv.embedded import free_port
from shared import tracing
from shared.bus import connect, ensure_streams
from shared.db import Database
from shared.events import Envelope
from shared.inbox import Consumer, ConsumerRunner
from shared.relay import OutboxRelay
from tests.support.service import start_service
from tests.support.system import wait_until


def _traceparent() -> tuple[str, str]:
    trace_id = uuid.uuid4().hex
    return f"00-{trace_id}-{uuid.uuid4().hex[:16]}-01", trace_id


def _log_lines(svc) -> list[dict]:
    lines = []
    for raw in svc.logs().splitlines():
        try:
            lines.append(json.loads(raw))
        except ValueError:
            continue
    return lines


@pytest.fixture(scope="module")
def reporting(infra):
    svc = start_service("reporting", infra, env={"RDV_ACCESS_LOG": "1"})
    yield svc
    svc.stop()


def test_request_id_and_trace_id_follow_a_request_into_the_logs(reporting):
    traceparent, trace_id = _traceparent()
    with reporting.client() as c:
        resp = c.get("/v1/nothing-here", headers={"traceparent": traceparent, "X-Request-Id": "req-42"})
    assert resp.headers["x-request-id"] == "req-42"
    line = wait_until(lambda: next((e for e in _log_lines(reporting) if e.get("request_id") == "req-42"), None),
                      message="access log line")
    assert line["trace_id"] == trace_id
    assert line["service"] == "reporting" and "/v1/nothing-here" in line["msg"]


def test_a_request_without_ids_gets_new_ones(reporting):
    with reporting.client() as c:
        resp = c.get("/v1/nothing-either", headers={"X-Request-Id": "bad id with spaces"})
    request_id = resp.headers["x-request-id"]
    assert request_id != "bad id with spaces" and len(request_id) == 32
    line = wait_until(lambda: next((e for e in _log_lines(reporting) if e.get("request_id") == request_id), None),
                      message="access log line")
    assert len(line["trace_id"]) == 32 and line["trace_id"] != "0" * 32


def test_without_exporter_spans_are_not_recorded_but_ids_propagate():
    tracing.setup("test")
    assert tracing.exporter_endpoint() is None
    parent, trace_id = _traceparent()
    ctx = tracing._propagator.extract({"traceparent": parent})
    with tracing.tracer().start_as_current_span("work", context=ctx) as span:
        assert not span.is_recording()  # cheap: nothing is kept
        assert tracing.current_trace_id() == trace_id
        token = tracing.request_id_var.set("req-out")
        try:
            seen: list[httpx.Request] = []
            transport = httpx.MockTransport(lambda req: seen.append(req) or httpx.Response(204))
            with httpx.Client(transport=transport) as client:
                client.get("http://other-service/v1/x")
        finally:
            tracing.request_id_var.reset(token)
    assert seen[0].headers["x-request-id"] == "req-out"
    assert seen[0].headers["traceparent"].split("-")[1] == trace_id


async def test_an_event_carries_the_trace_of_the_request_that_caused_it(infra):
    tracing.setup("test")
    db = Database(infra.migrated_database("booking"))
    nc = await connect(infra.nats_url, name="test-tracing")
    js = nc.jetstream(timeout=5)
    await ensure_streams(js)
    subject = f"booking.t{uuid.uuid4().hex[:8]}.created"
    parent, trace_id = _traceparent()
    with tracing.tracer().start_as_current_span("POST /v1/rdvs", context=tracing._propagator.extract(
            {"traceparent": parent})):
        async with db.uow() as uow:
            event = Envelope(type=subject, data={"n": 1})
            uow.publish(event)
            await uow.commit()
    async with db.uow(autocommit=True) as uow:
        headers = (await uow.execute(text("select headers from outbox where id = :i"), {"i": event.id})).scalar_one()
    assert headers["traceparent"].split("-")[1] == trace_id

    seen: list[tuple] = []

    async def handler(uow, envelope):
        seen.append((envelope.id, tracing.current_trace_id(), tracing.current_request_id()))

    runner = ConsumerRunner(db, js, Consumer(name=f"test-{uuid.uuid4().hex[:8]}", stream="BOOKING",
                                             subjects=[subject], handler=handler))
    relay = OutboxRelay(db, js, service="test")
    assert await relay.relay_once() == 1
    await relay.stop()
    runner.start()
    try:
        import asyncio

        for _ in range(200):
            if seen:
                break
            await asyncio.sleep(0.05)
    finally:
        await runner.stop()
        await nc.close()
        await db.dispose()
    assert seen == [(event.id, trace_id, f"evt-{event.id}")]
    assert trace.get_current_span().get_span_context().is_valid is False  # nothing leaked out


class _Collector(BaseHTTPRequestHandler):
    received: list[tuple[str, bytes]] = []

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        _Collector.received.append((self.path, body))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.end_headers()

    def log_message(self, *args):
        pass


def test_spans_go_to_the_otlp_endpoint_when_one_is_configured(infra):
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), _Collector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    svc = start_service("reporting", infra, env={
        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{server.server_port}",
        "OTEL_BSP_SCHEDULE_DELAY": "100"})
    try:
        traceparent, trace_id = _traceparent()
        with svc.client() as c:
            c.get("/v1/traced", headers={"traceparent": traceparent})
        wait_until(lambda: any(path == "/v1/traces" and bytes.fromhex(trace_id) in body
                               for path, body in _Collector.received), timeout=15, message="exported span")
    finally:
        svc.stop()
        server.shutdown()


async def test_consumer_spans_continue_or_link_the_producers_traces(infra, monkeypatch):
    """With an exporter (here in memory): a CONSUMER span per event, child of the producer's span; a batch
    applied in one transaction gets one span linked to every event's trace."""
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    monkeypatch.setattr(tracing, "tracer", lambda: provider.get_tracer("rdv"))

    db = Database(infra.migrated_database("booking"))
    nc = await connect(infra.nats_url, name="test-tracing-spans")
    js = nc.jetstream(timeout=5)
    await ensure_streams(js)
    single, batch = (f"booking.t{uuid.uuid4().hex[:8]}.created" for _ in range(2))
    parents: dict[str, list[str]] = {single: [], batch: []}
    for subject, count in ((single, 1), (batch, 4)):
        for _ in range(count):
            parent, trace_id = _traceparent()
            parents[subject].append(trace_id)
            await js.publish(subject, Envelope(type=subject).to_json(), headers={"traceparent": parent})
    done: list = []

    async def handler(uow, envelope):
        done.append(envelope.id)

    runners = [ConsumerRunner(db, js, Consumer(name=f"test-{uuid.uuid4().hex[:8]}", stream="BOOKING",
                                               subjects=[subject], handler=handler, batched=subject == batch))
               for subject in (single, batch)]
    for runner in runners:
        runner.start()
    try:
        import asyncio

        for _ in range(200):
            if len(done) == 5:
                break
            await asyncio.sleep(0.05)
    finally:
        for runner in runners:
            await runner.stop()
        await nc.close()
        await db.dispose()
    assert len(done) == 5
    spans = exporter.get_finished_spans()
    (one,) = [s for s in spans if s.name == f"consume {single}"]
    assert format(one.context.trace_id, "032x") == parents[single][0] and one.parent is not None
    linked = {format(link.context.trace_id, "032x") for s in spans if s.name.startswith("consume batch")
              for link in s.links}
    assert set(parents[batch]) <= linked  # the four events were in the stream before: one fetch, one batch
