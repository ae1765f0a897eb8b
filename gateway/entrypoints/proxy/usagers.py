"""Usagers routes, forwarded to the usagers service."""
from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter, Depends, Query, Request

from gateway.domain.model import Principal
from gateway.entrypoints.auth.dependencies import admin_principal, current_principal, identity_of
from gateway.entrypoints.common import Paging
from gateway.entrypoints.proxy.forward import forward
from gateway.schemas import usagers as s
from gateway.schemas.common import STANDARD_ERRORS, Page

router = APIRouter(prefix="/api/v1", tags=["usagers"], responses=STANDARD_ERRORS)


@router.post("/usagers", status_code=201, response_model=s.UsagerOut)
async def create_usager(body: s.UsagerCreate, request: Request, principal: Principal = Depends(current_principal)):
    """Add an usager (phone normalised to E.164)."""
    return await forward(request, "usagers", "/v1/usagers", identity=identity_of(principal))


@router.get("/usagers", response_model=Page[s.UsagerOut])
async def list_usagers(request: Request, paging: Paging = Depends(), q: str | None = Query(None, max_length=200),
                       scope: Literal["service", "organisation"] = Query("service"),
                       principal: Principal = Depends(current_principal)):
    """Search usagers by name, phone or email, in the caller's services or the whole organisation."""
    return await forward(request, "usagers", "/v1/usagers", identity=identity_of(principal))


@router.get("/usagers/{usager_id}", response_model=s.UsagerFiche)
async def get_usager(usager_id: uuid.UUID, request: Request, principal: Principal = Depends(current_principal)):
    """An usager's fiche: relatives, RDVs and statistics."""
    return await forward(request, "usagers", f"/v1/usagers/{usager_id}", identity=identity_of(principal))


@router.patch("/usagers/{usager_id}", response_model=s.UsagerOut)
async def patch_usager(usager_id: uuid.UUID, body: s.UsagerPatch, request: Request,
                       principal: Principal = Depends(current_principal)):
    """Change an usager."""
    return await forward(request, "usagers", f"/v1/usagers/{usager_id}", identity=identity_of(principal))


@router.delete("/usagers/{usager_id}", response_model=s.UsagerOut)
async def delete_usager(usager_id: uuid.UUID, request: Request, principal: Principal = Depends(admin_principal)):
    """Anonymise an usager (RGPD; admins)."""
    return await forward(request, "usagers", f"/v1/usagers/{usager_id}", identity=identity_of(principal))
