"""Booking routes, forwarded to booking (and notifications for an RDV's messages)."""
from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from gateway.domain.model import Principal
from gateway.entrypoints.auth.dependencies import current_principal, identity_of, principal_naming_agents
from gateway.entrypoints.common import Paging
from gateway.entrypoints.proxy.checks import ensure_agents, ensure_services
from gateway.entrypoints.proxy.forward import call, forward, relay
from gateway.schemas import booking as s
from gateway.schemas.common import STANDARD_ERRORS, Page, day_between
from shared.web.hot import HotRoute, model_body

ListDay = day_between(1900, 2200)

router = APIRouter(prefix="/api/v1", tags=["rendez-vous"], responses=STANDARD_ERRORS)


@router.post("/rdvs", status_code=201, response_model=s.RdvWritten)
async def create_rdv(body: s.RdvCreate, request: Request, principal: Principal = Depends(principal_naming_agents)):
    """Book an RDV (checked against plages, absences, holidays and the agents' other RDVs)."""
    await ensure_agents(request, principal, body.agent_ids)
    return await forward(request, "booking", "/v1/rdvs", identity=identity_of(principal))


async def create_rdv_hot(request: Request) -> Response | None:
    """`create_rdv` without FastAPI's per-request machinery (every booking goes this way)."""
    parsed = await model_body(request, s.RdvCreate)
    return None if parsed is None else await create_rdv(parsed, request, await principal_naming_agents(request))


HOT_ROUTES = [HotRoute("POST", "/api/v1/rdvs", create_rdv_hot)]


@router.get("/rdvs", response_model=Page[s.RdvOut])
async def list_rdvs(request: Request, paging: Paging = Depends(), agent_id: uuid.UUID | None = Query(None),
                    service_id: uuid.UUID | None = Query(None), motif_id: uuid.UUID | None = Query(None),
                    lieu_id: uuid.UUID | None = Query(None), usager_id: uuid.UUID | None = Query(None),
                    status: str | None = Query(None, max_length=200, pattern=s.STATUS_FILTER_PATTERN,
                                               description="one status or several, comma-separated"),
                    from_: ListDay | None = Query(None, alias="from"), to: ListDay | None = Query(None),
                    principal: Principal = Depends(current_principal)):
    """RDVs the caller can see, by start time."""
    await ensure_agents(request, principal, [agent_id])
    await ensure_services(request, principal, [service_id])
    return await forward(request, "booking", "/v1/rdvs", identity=identity_of(principal))


@router.get("/rdvs/{rdv_id}", response_model=s.RdvOut)
async def get_rdv(rdv_id: uuid.UUID, request: Request, principal: Principal = Depends(current_principal)):
    """One RDV the caller can see."""
    return await forward(request, "booking", f"/v1/rdvs/{rdv_id}", identity=identity_of(principal))


@router.patch("/rdvs/{rdv_id}", response_model=s.RdvWritten)
async def patch_rdv(rdv_id: uuid.UUID, body: s.RdvPatch, request: Request,
                    principal: Principal = Depends(principal_naming_agents)):
    """Move or change an RDV (checked like a booking)."""
    await ensure_agents(request, principal, body.agent_ids or [])
    return await forward(request, "booking", f"/v1/rdvs/{rdv_id}", identity=identity_of(principal))


@router.post("/rdvs/{rdv_id}/status", response_model=s.RdvOut)
async def set_rdv_status(rdv_id: uuid.UUID, body: s.RdvStatusIn, request: Request,
                         principal: Principal = Depends(current_principal)):
    """Set an RDV's status (honoré, absence non excusée, annulé, or back to unknown)."""
    return await forward(request, "booking", f"/v1/rdvs/{rdv_id}/status", identity=identity_of(principal))


@router.get("/rdvs/{rdv_id}/notifications", response_model=list[s.NotificationOut])
async def rdv_notifications(rdv_id: uuid.UUID, request: Request, principal: Principal = Depends(current_principal)):
    """The SMS and emails sent about an RDV the caller can see."""
    identity = identity_of(principal)
    seen = await call(request, "booking", "GET", f"/v1/rdvs/{rdv_id}", identity=identity)
    if seen.status_code != 200:
        return relay(seen)
    return relay(await call(request, "notifications", "GET", f"/v1/rdvs/{rdv_id}/notifications", identity=identity))
