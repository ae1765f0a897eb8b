"""The audit log's middleware: every write through the gateway is recorded (who, when, what, which
resource, the result); `gateway.service_layer.audit_writer` inserts the rows in batches."""
from __future__ import annotations

import logging
import uuid

from gateway.domain.model import Principal
from gateway.entrypoints.edge.asgi import UNSAFE, Recorder, path_resource_id
from gateway.entrypoints.request_state import ORGANISATION_KEY, PRINCIPAL_KEY, REPLAYED_KEY
from shared import clock

log = logging.getLogger("rdv.gateway.audit")


class AuditWrites:
    """Record who wrote what, when, on which resource, and the result (status)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] not in UNSAFE or not scope["path"].startswith("/api/v1/"):
            return await self.app(scope, receive, send)
        recorder = Recorder(send, limit=256_000)
        try:
            await self.app(scope, receive, recorder)
        finally:
            try:
                scope["app"].state.runtime.audit.add(entry_of(scope, recorder))  # inserted a few ms later
            except Exception:  # the audit never turns an answered request into an error
                log.exception("audit entry not written")


def entry_of(scope, recorder: Recorder) -> dict:
    """The audit row of one answered write."""
    principal: Principal | None = scope.get(PRINCIPAL_KEY)
    body = recorder.json() if 200 <= recorder.status < 300 else None
    resource_id = path_resource_id(scope["path"])
    if resource_id is None and isinstance(body, dict) and body.get("id"):
        resource_id = str(body["id"])
    org_id = principal.organisation.id if principal else scope.get(ORGANISATION_KEY)
    if org_id is None and scope["path"] == "/api/v1/organisations" and resource_id:
        org_id = uuid.UUID(resource_id)
    client = scope.get("client")
    return {"organisation_id": org_id, "agent_id": principal.agent.id if principal else None,
            "at": clock.now(), "method": scope["method"], "path": scope["path"][:500],
            "resource_id": resource_id, "status": recorder.status or 500,
            "ip": client[0] if client else None, "replayed": bool(scope.get(REPLAYED_KEY))}
