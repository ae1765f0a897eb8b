"""Forwarding a call to a service with the caller's signed identity, and mapping its answer."""
from __future__ import annotations

import logging
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from gateway.adapters.services import ServiceClients
from gateway.entrypoints.edge.closing import keep_positions
from gateway.entrypoints.request_state import POSITIONS_KEY
from shared.consistency import POSITION_HEADER, READ_AFTER_HEADER, format_positions, parse_positions
from shared.errors import ServiceUnavailable
from shared.identity import Identity
from shared.service_client import ServiceResponse

log = logging.getLogger("rdv.gateway.forward")
_PASS_HEADERS = ("content-type", "content-disposition", "location", "retry-after")


def clients(request: Request) -> ServiceClients:
    return request.app.state.runtime.clients


def forwarded_headers(request: Request) -> dict[str, str]:
    headers = {}
    # traceparent and X-Request-Id are added by shared.tracing (the gateway's own span is the parent)
    for name in ("idempotency-key", "accept-language"):
        if request.headers.get(name):
            headers[name] = request.headers[name]
    return headers


async def call(request: Request, service: str, method: str, path: str, *, identity: Identity | None,
               params: Any = None, json: Any = None, body: bytes | None = None) -> ServiceResponse:
    """Call a service; 503 when it does not answer or fails.

    Reads after writes (shared.consistency): a read carries the organisation's positions, and a write's
    position is kept for the organisation, stored before its answer goes back to the client."""
    headers = forwarded_headers(request)
    known = request.scope.get(POSITIONS_KEY)
    if known and method == "GET":
        headers[READ_AFTER_HEADER] = format_positions(known)
    resp = await clients(request)[service].request(method, path, identity=identity, params=params, json=json,
                                                   body=body, headers=headers)
    if resp.status_code >= 500:
        log.warning("%s %s %s answered %s: %s", service, method, path, resp.status_code, resp.text[:500])
        raise ServiceUnavailable(details={"service": service, "status": resp.status_code})
    written = parse_positions(resp.headers.get(POSITION_HEADER))
    if written and identity is not None:
        await keep_positions(request.scope, identity.organisation_id, written)
    return resp


def relay(resp: ServiceResponse) -> Response:
    """The service's answer as the gateway's (status, body, content headers)."""
    if resp.status_code == 204:
        return Response(status_code=204)
    headers = {k: v for k, v in resp.headers.items() if k.lower() in _PASS_HEADERS}
    return Response(content=resp.content, status_code=resp.status_code, headers=headers)


async def raw_json(request: Request) -> Any:
    """The request body as the client sent it (already validated by the route's model)."""
    body = await request.body()
    return await request.json() if body else None


async def forward(request: Request, service: str, path: str, *, identity: Identity, method: str | None = None,
                  params: Any = None, with_body: bool = True) -> Response:
    """Forward this request to `service` at `path` (same method, query and JSON body by default). The body
    goes as the client sent it: the route's model has validated it as JSON already."""
    method = method or request.method
    if params is None:
        params = list(request.query_params.multi_items())
    body = (await request.body() or None) if with_body and method in ("POST", "PUT", "PATCH") else None
    return relay(await call(request, service, method, path, identity=identity, params=params, body=body))
