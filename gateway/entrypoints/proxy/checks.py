"""Checks before forwarding: the agent and service ids a request names belong to the caller's organisation
(services trust the agent ids they receive through the gateway, docs/internal.md)."""
from __future__ import annotations

import uuid

from fastapi import Request

from gateway.domain.model import Principal
from gateway.entrypoints.common import get_db
from gateway.entrypoints.request_state import AGENTS_KEY
from gateway.service_layer import queries
from shared.errors import NotFound


async def ensure_agents(request: Request, principal: Principal, agent_ids) -> None:
    """404 unless every agent id belongs to the caller's organisation."""
    ids = [uuid.UUID(str(a)) for a in agent_ids if a is not None]
    if not ids:
        return
    checked, found = request.scope.get(AGENTS_KEY) or ((), set())
    if not set(ids) <= set(checked):  # not read with the caller: read now
        found = await queries.existing_agent_ids(db=get_db(request), organisation_id=principal.organisation.id,
                                                   agent_ids=ids)
    if set(ids) - found:
        raise NotFound("Agent introuvable dans votre organisation.",
                       details={"agent_ids": [str(i) for i in ids if i not in found]})


async def ensure_services(request: Request, principal: Principal, service_ids) -> None:
    """404 unless every service id belongs to the caller's organisation."""
    ids = [uuid.UUID(str(s)) for s in service_ids if s is not None]
    if not ids:
        return
    found = await queries.existing_service_ids(db=get_db(request), organisation_id=principal.organisation.id,
                                                 service_ids=ids)
    if set(ids) - found:
        raise NotFound("Service introuvable dans votre organisation.",
                       details={"service_ids": [str(i) for i in ids if i not in found]})
