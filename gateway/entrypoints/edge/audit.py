"""The audit row of a write through the gateway (who, when, what, which resource, the result): built by
the edge of writes (`closing.CloseWrites`) once the answer is known."""
from __future__ import annotations

import uuid

from gateway.domain.model import Principal
from gateway.entrypoints.edge.asgi import Recorder, path_resource_id
from gateway.entrypoints.request_state import ORGANISATION_KEY, PRINCIPAL_KEY, REPLAYED_KEY
from shared import clock


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
