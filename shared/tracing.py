"""Traces and correlation ids across HTTP and NATS.

- Every HTTP request gets a span (W3C `traceparent` taken from the caller when present) and a
  request id (`X-Request-Id` from the caller, else a new one, sent back in the response):
  `shared.web.tracing`.
- Outgoing httpx calls carry `traceparent` and `X-Request-Id` (gateway -> service,
  booking -> availability) without the caller doing anything.
- Events written to the outbox carry the current `traceparent` as a NATS header; a consumer
  continues that trace while it applies the event (`consuming`).
- Every log record gets `request_id` and `trace_id` when they are known (shared/logging.py
  writes them in the JSON line).

Cheap by default: without OTEL_EXPORTER_OTLP_ENDPOINT the sampler records nothing (ids are still
made and propagated, so logs keep trace ids). With it, spans go to the OTLP/HTTP exporter in
batches; the SDK's OTEL_* variables (sampler, headers, service name) apply.
"""
from __future__ import annotations

import contextlib
import contextvars
import itertools
import logging
import uuid
from typing import Iterator, Mapping

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF
from opentelemetry.trace import SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from shared.settings import PlatformSettings

log = logging.getLogger("rdv.tracing")

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("rdv_request_id", default=None)

_propagator = TraceContextTextMapPropagator()
_state: dict = {"service": None, "exporting": False}


def exporter_endpoint() -> str | None:
    settings = PlatformSettings()
    return settings.otel_traces_endpoint or settings.otel_endpoint or None


def setup(service: str) -> None:
    """Install the tracer provider, the log record ids and the httpx propagation (once per process)."""
    if _state["service"] is not None:
        return
    _state["service"] = service
    resource = Resource.create({"service.name": PlatformSettings().otel_service_name or f"rdv-{service}",
                                "service.namespace": "rdv"})
    if exporter_endpoint():
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        provider = TracerProvider(resource=resource)  # sampler from OTEL_TRACES_SAMPLER, else parent-based
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        _state["exporting"] = True
        log.info("traces exportées vers %s", exporter_endpoint())
    else:
        provider = TracerProvider(resource=resource, sampler=ALWAYS_OFF)
    trace.set_tracer_provider(provider)
    _install_log_ids()
    _instrument_httpx()
    # one line per call is the callee's access log (same request and trace ids): httpx's own INFO line
    # for every outgoing request would double the volume
    logging.getLogger("httpx").setLevel(max(logging.WARNING, logging.getLogger("httpx").level))


def flush(timeout_millis: int = 2000) -> None:
    """Send the spans still buffered (called when a service stops)."""
    if not _state["exporting"]:
        return
    with contextlib.suppress(Exception):
        trace.get_tracer_provider().force_flush(timeout_millis)  # type: ignore[attr-defined]


def tracer() -> trace.Tracer:
    """The process's tracer (looked up once: the SDK's lookup is slow)."""
    cached = _state.get("tracer")
    if cached is None or _state.get("tracer_provider") is not trace.get_tracer_provider():
        _state["tracer_provider"] = trace.get_tracer_provider()
        cached = _state["tracer"] = trace.get_tracer("rdv")
    return cached


# ---------- ids ----------

def current_trace_id() -> str | None:
    ctx = trace.get_current_span().get_span_context()
    return format(ctx.trace_id, "032x") if ctx.is_valid else None


def current_request_id() -> str | None:
    return request_id_var.get()


def extract_context(carrier: Mapping[str, str]):
    """The trace context a caller's headers carry (W3C traceparent)."""
    return _propagator.extract(carrier)


def current_traceparent() -> str | None:
    carrier: dict[str, str] = {}
    _propagator.inject(carrier)
    return carrier.get("traceparent")


def outgoing_headers() -> dict[str, str]:
    """Headers that carry the current trace and request id to another service."""
    headers: dict[str, str] = {}
    _propagator.inject(headers)
    rid = request_id_var.get()
    if rid:
        headers["x-request-id"] = rid
    return headers


def _install_log_ids() -> None:
    previous = logging.getLogRecordFactory()

    def factory(*args, **kwargs):
        record = previous(*args, **kwargs)
        rid = request_id_var.get()
        if rid is not None:
            record.request_id = rid
        tid = current_trace_id()
        if tid is not None:
            record.trace_id = tid
        return record

    logging.setLogRecordFactory(factory)


def _instrument_httpx() -> None:
    """Add the trace headers to every outgoing httpx request that does not set them itself."""
    import httpx

    if getattr(httpx.AsyncClient.send, "_rdv_traced", False):
        return

    def _inject(request: httpx.Request) -> None:
        for key, value in outgoing_headers().items():
            if key not in request.headers:
                request.headers[key] = value

    async_send = httpx.AsyncClient.send
    sync_send = httpx.Client.send

    async def traced_async_send(self, request, *args, **kwargs):
        _inject(request)
        return await async_send(self, request, *args, **kwargs)

    def traced_sync_send(self, request, *args, **kwargs):
        _inject(request)
        return sync_send(self, request, *args, **kwargs)

    traced_async_send._rdv_traced = True  # type: ignore[attr-defined]
    traced_sync_send._rdv_traced = True  # type: ignore[attr-defined]
    httpx.AsyncClient.send = traced_async_send  # type: ignore[method-assign]
    httpx.Client.send = traced_sync_send  # type: ignore[method-assign]


# ---------- NATS consumer side ----------

@contextlib.contextmanager
def consuming(subject: str, headers: Mapping[str, str] | None, *, consumer: str,
              event_id: str | None = None) -> Iterator[trace.Span]:
    """Continue the producer's trace while one event is applied; the request id is the event id."""
    parent = _propagator.extract(dict(headers or {}))
    token = request_id_var.set(f"evt-{event_id}" if event_id else None)
    try:
        with tracer().start_as_current_span(f"consume {subject}", context=parent, kind=SpanKind.CONSUMER,
                                            attributes={"messaging.system": "nats",
                                                        "messaging.destination.name": subject,
                                                        "messaging.consumer.group.name": consumer}) as span:
            yield span
    finally:
        request_id_var.reset(token)


@contextlib.contextmanager
def consuming_batch(consumer: str, headers: list[Mapping[str, str] | None]) -> Iterator[trace.Span]:
    """One span for a batch applied in one transaction, linked to the trace of each event."""
    token = request_id_var.set(f"batch-{uuid.uuid4().hex[:16]}")
    try:
        with tracer().start_as_current_span(f"consume batch {consumer}", kind=SpanKind.CONSUMER,
                                            attributes={"messaging.system": "nats",
                                                        "messaging.consumer.group.name": consumer,
                                                        "messaging.batch.message_count": len(headers)}) as span:
            # A batch span has no parent: its sampling does not depend on the events' traces, and the links to
            # them are only read off a recorded span (none when traces are not exported).
            if span.is_recording():
                _link(span, headers)
            yield span
    finally:
        request_id_var.reset(token)


def _link(span: trace.Span, headers: list[Mapping[str, str] | None]) -> None:
    """Link the span to the trace of each event (the first 128 that carry one)."""
    contexts = (trace.get_current_span(_propagator.extract(dict(carrier or {}))).get_span_context()
                for carrier in headers)
    for ctx in itertools.islice((ctx for ctx in contexts if ctx.is_valid), 128):
        span.add_link(ctx)
