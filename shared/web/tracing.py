"""The HTTP server side of tracing: one span, one request id, one latency sample and (in production or
with RDV_ACCESS_LOG) one access-log line per request. Plain ASGI, installed by `ServiceRuntime`."""
from __future__ import annotations

import logging
import random
import re
import time

from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from shared import metrics
from shared.settings import PlatformSettings
from shared.tracing import extract_context, request_id_var, tracer

access_log = logging.getLogger("rdv.access")

_state: dict = {}
_UNTRACED_PATHS = ("/healthz", "/readyz", "/metrics")
_WANTED_HEADERS = (b"traceparent", b"tracestate", b"x-request-id")  # ASGI header names are lower-case
# Paths whose segment is a credential (an agent's calendar feed token): never in spans or logs as such.
_SECRET_PATH = re.compile(r"^(/ics/)[^/]+(\.ics)$")


def access_log_enabled() -> bool:
    """One JSON line per request: on in production, else when RDV_ACCESS_LOG=1 (read once)."""
    if "access_log" not in _state:
        _state["access_log"] = PlatformSettings().access_log_enabled()
    return _state["access_log"]


def loggable_path(path: str) -> str:
    """The request path as spans and the access log show it (secret tokens masked)."""
    return _SECRET_PATH.sub(r"\1<token>\2", path)


def _clean_request_id(value: str | None) -> str | None:
    """Accept a caller's request id only if it is short and printable (it lands in logs)."""
    if not value or len(value) > 128 or not all(c.isalnum() or c in "-_.:" for c in value):
        return None
    return value


class TracingMiddleware:
    """ASGI middleware: one server span and one request id per HTTP request."""

    def __init__(self, app, service: str = "rdv"):
        self.app = app
        self.service = service

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope.get("path") in _UNTRACED_PATHS:
            await self.app(scope, receive, send)
            return
        request_id, span, path = self._start(scope)
        token = request_id_var.set(request_id)
        status = {"code": 500}
        started = time.perf_counter()

        async def send_with_id(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + [(b"x-request-id", request_id.encode())]
            await send(message)

        try:
            with trace.use_span(span, end_on_exit=False):
                await self.app(scope, receive, send_with_id)
        except Exception as exc:
            span.record_exception(exc)
            raise
        finally:
            self._finish(scope, span, path, status["code"], time.perf_counter() - started)
            request_id_var.reset(token)

    @staticmethod
    def _start(scope) -> tuple[str, trace.Span, str]:
        """The request id (the caller's, else a new one) and the server span, child of the caller's trace."""
        headers = {}
        for key, value in scope.get("headers", ()):
            if key in _WANTED_HEADERS:
                headers[key.decode("latin-1")] = value.decode("latin-1")
        request_id = _clean_request_id(headers.get("x-request-id")) or "%032x" % random.getrandbits(128)
        parent = extract_context(headers) if "traceparent" in headers else None
        path = loggable_path(scope.get("path", ""))
        span = tracer().start_span(f"{scope.get('method', 'GET')} {path}", context=parent,
                                   kind=SpanKind.SERVER,
                                   attributes={"http.request.method": scope.get("method", ""),
                                               "url.path": path, "rdv.request_id": request_id})
        return request_id, span, path

    def _finish(self, scope, span: trace.Span, path: str, code: int, elapsed: float) -> None:
        """Record the latency, name the span after its route, log the request when asked (always a 5xx)."""
        route = scope.get("route")
        metrics.http_latency.labels(self.service, scope.get("method", ""),
                                    getattr(route, "path", None) or "unmatched", str(code)).observe(elapsed)
        if route is not None and getattr(route, "path", None):
            span.update_name(f"{scope.get('method', 'GET')} {route.path}")
            span.set_attribute("http.route", route.path)
        span.set_attribute("http.response.status_code", code)
        if code >= 500:
            span.set_status(Status(StatusCode.ERROR))
        if code >= 500 or access_log_enabled():
            with trace.use_span(span, end_on_exit=False):
                access_log.log(logging.WARNING if code >= 500 else logging.INFO,
                               "%s %s %d %.1fms", scope.get("method", ""), path, code, elapsed * 1000)
        span.end()
