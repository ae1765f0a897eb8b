"""Reporting routes: statistics and exports, forwarded to reporting."""
from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from starlette.background import BackgroundTask

from gateway.domain.model import Principal
from gateway.entrypoints.auth.dependencies import current_principal, identity_of
from gateway.entrypoints.common import Paging
from gateway.entrypoints.proxy.checks import ensure_agents, ensure_services
from gateway.entrypoints.proxy.forward import clients, forward, relay
from gateway.schemas import reporting as s
from gateway.schemas.common import STANDARD_ERRORS, Page
from shared.errors import ServiceUnavailable

router = APIRouter(prefix="/api/v1", tags=["statistiques"], responses=STANDARD_ERRORS)


@router.get("/stats", response_model=s.StatsOut)
async def stats(request: Request, from_: s.ReportDay | None = Query(None, alias="from"),
                to: s.ReportDay | None = Query(None),
                service_id: uuid.UUID | None = Query(None), agent_id: uuid.UUID | None = Query(None),
                motif_id: uuid.UUID | None = Query(None), lieu_id: uuid.UUID | None = Query(None),
                group_by: s.GroupBy = Query("status"),
                principal: Principal = Depends(current_principal)):
    """Counts of RDVs by status, grouped (own services for an agent, the organisation for an admin)."""
    await ensure_agents(request, principal, [agent_id])
    await ensure_services(request, principal, [service_id])
    return await forward(request, "reporting", "/v1/stats", identity=identity_of(principal))


@router.post("/exports", status_code=202, response_model=s.ExportAccepted)
async def create_export(body: s.ExportCreate, request: Request, principal: Principal = Depends(current_principal)):
    """Start an XLSX export of the RDVs the caller can see."""
    await ensure_agents(request, principal, [body.filters.agent_id])
    await ensure_services(request, principal, [body.filters.service_id])
    return await forward(request, "reporting", "/v1/exports", identity=identity_of(principal))


@router.get("/exports", response_model=Page[s.ExportOut])
async def list_exports(request: Request, paging: Paging = Depends(), principal: Principal = Depends(current_principal)):
    """The caller's exports of the last 14 days."""
    return await forward(request, "reporting", "/v1/exports", identity=identity_of(principal))


@router.get("/exports/{export_id}", response_model=s.ExportOut)
async def get_export(export_id: uuid.UUID, request: Request, principal: Principal = Depends(current_principal)):
    """One of the caller's exports (status and progress)."""
    return await forward(request, "reporting", f"/v1/exports/{export_id}", identity=identity_of(principal))


@router.get("/exports/{export_id}/file", response_class=StreamingResponse,
            responses={200: {"content": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}},
                             "description": "the XLSX file"}})
async def export_file(export_id: uuid.UUID, request: Request, principal: Principal = Depends(current_principal)):
    """Download an export's XLSX file (its owner)."""
    resp = await clients(request)["reporting"].open_stream("GET", f"/v1/exports/{export_id}/file",
                                                          identity=identity_of(principal))
    if resp.status_code != 200:
        try:
            answer = await resp.read()
        finally:
            await resp.close()
        if answer.status_code >= 500:
            raise ServiceUnavailable(details={"service": "reporting", "status": answer.status_code})
        return relay(answer)
    headers = {k: v for k, v in resp.headers.items() if k.lower() in ("content-disposition", "content-length")}
    return StreamingResponse(resp.chunks(), status_code=200, headers=headers,
                             media_type=resp.headers.get("content-type", "application/octet-stream"),
                             background=BackgroundTask(resp.close))
