"""« Pourquoi cet horaire n'est-il pas libre ? » for the Trouver un RDV page.

The contract has no gateway route for availability's explanation (`GET /v1/creneaux/explain`):
this one resolves the session through the gateway's own /api/v1 (the agent, and that the asked
agent is of the organisation), then asks availability with the caller's signed identity.
"""
from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from pydantic import AwareDatetime

from gateway.web.session import current_agent, gateway_get
from shared.errors import NotFound, Unauthorized
from shared.identity import Identity

router = APIRouter()


@router.get("/web/creneaux/explain")
async def explain(request: Request, agent_id: uuid.UUID, motif_id: uuid.UUID, starts_at: AwareDatetime):
    """Whether this start is free for the agent and motif, and every reason why not."""
    from gateway.api.forward import call, relay

    me = await current_agent(request)
    if me is None:
        raise Unauthorized()
    if (await gateway_get(request, f"/api/v1/agents/{agent_id}")).status_code != 200:
        raise NotFound("Agent introuvable.")
    org = me["organisation"]
    identity = Identity(kind="agent", organisation_id=org["id"], agent_id=me["id"], role=me["role"],
                        service_ids=me.get("service_ids") or [], timezone=org["timezone"],
                        holiday_zone=org["holiday_zone"])
    params = {"agent_id": str(agent_id), "motif_id": str(motif_id), "starts_at": starts_at.isoformat()}
    return relay(await call(request, "availability", "GET", "/v1/creneaux/explain", identity=identity,
                            params=params))
