"""Lieux and motifs: everyone of the organisation reads, admins write."""
from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Response

from services.availability.entrypoints.deps import Caller, Identity, Page, listing, page, uow
from services.availability.entrypoints.schemas import LieuIn, LieuPatch, MotifIn, MotifPatch
from services.availability.service_layer import catalogue, views
from services.availability.service_layer.unit_of_work import AvailabilityUnitOfWork

router = APIRouter(prefix="/v1", tags=["lieux et motifs"])


@router.get("/lieux")
async def list_lieux(p: Page = Depends(page), identity: Identity = Caller, unit: AvailabilityUnitOfWork = Depends(uow)):
    """List the organisation's lieux."""
    items, total = await catalogue.list_lieux(uow=unit, identity=identity, page=p.page, per_page=p.per_page)
    return listing([views.lieu(x) for x in items], total, p)


@router.post("/lieux", status_code=201)
async def create_lieu(body: LieuIn, identity: Identity = Caller, unit: AvailabilityUnitOfWork = Depends(uow)):
    """Create a lieu (admin)."""
    return views.lieu(await catalogue.create_lieu(uow=unit, identity=identity, fields=body.model_dump()))


@router.get("/lieux/{lieu_id}")
async def get_lieu(lieu_id: uuid.UUID, identity: Identity = Caller, unit: AvailabilityUnitOfWork = Depends(uow)):
    """Read a lieu."""
    return views.lieu(await catalogue.get_lieu(uow=unit, identity=identity, lieu_id=lieu_id))


@router.patch("/lieux/{lieu_id}")
async def update_lieu(lieu_id: uuid.UUID, body: LieuPatch, identity: Identity = Caller,
                      unit: AvailabilityUnitOfWork = Depends(uow)):
    """Change a lieu (admin)."""
    changes = {k: v for k, v in body.changes().items() if v is not None or k == "phone"}
    return views.lieu(await catalogue.update_lieu(uow=unit, identity=identity, lieu_id=lieu_id, changes=changes))


@router.delete("/lieux/{lieu_id}", status_code=204)
async def delete_lieu(lieu_id: uuid.UUID, identity: Identity = Caller, unit: AvailabilityUnitOfWork = Depends(uow)):
    """Delete a lieu (admin)."""
    await catalogue.delete_lieu(uow=unit, identity=identity, lieu_id=lieu_id)
    return Response(status_code=204)


@router.get("/motifs")
async def list_motifs(p: Page = Depends(page), service_id: uuid.UUID | None = None, identity: Identity = Caller,
                      unit: AvailabilityUnitOfWork = Depends(uow)):
    """List the organisation's motifs (optionally of one service)."""
    items, total = await catalogue.list_motifs(uow=unit, identity=identity, page=p.page, per_page=p.per_page,
                                               service_id=service_id)
    return listing([views.motif(x) for x in items], total, p)


@router.post("/motifs", status_code=201)
async def create_motif(body: MotifIn, identity: Identity = Caller, unit: AvailabilityUnitOfWork = Depends(uow)):
    """Create a motif (admin)."""
    return views.motif(await catalogue.create_motif(uow=unit, identity=identity, fields=body.model_dump()))


@router.get("/motifs/{motif_id}")
async def get_motif(motif_id: uuid.UUID, identity: Identity = Caller, unit: AvailabilityUnitOfWork = Depends(uow)):
    """Read a motif."""
    return views.motif(await catalogue.get_motif(uow=unit, identity=identity, motif_id=motif_id))


@router.patch("/motifs/{motif_id}")
async def update_motif(motif_id: uuid.UUID, body: MotifPatch, identity: Identity = Caller,
                       unit: AvailabilityUnitOfWork = Depends(uow)):
    """Change a motif (admin)."""
    return views.motif(await catalogue.update_motif(uow=unit, identity=identity, motif_id=motif_id,
                                                    changes=body.changes()))


@router.delete("/motifs/{motif_id}", status_code=204)
async def delete_motif(motif_id: uuid.UUID, identity: Identity = Caller, unit: AvailabilityUnitOfWork = Depends(uow)):
    """Delete a motif (admin)."""
    await catalogue.delete_motif(uow=unit, identity=identity, motif_id=motif_id)
    return Response(status_code=204)
