"""Plages d'ouverture and absences: the agent for themself, or an admin."""
from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import JSONResponse

from services.availability.entrypoints.deps import Caller, Identity, Page, listing, page, uow
from services.availability.entrypoints.schemas import AbsenceIn, AbsencePatch, PlageIn, PlagePatch
from services.availability.service_layer import absences, plages, views
from services.availability.service_layer.unit_of_work import AvailabilityUnitOfWork

router = APIRouter(prefix="/v1", tags=["plages et indisponibilités"])


def _plage(plage, warnings: list[str]) -> dict:
    return {**views.plage(plage), "warnings": warnings}


def _absence(absence, conflicts, zone: str) -> dict:
    return {**views.absence(absence), "rdvs_in_conflict": [views.rdv(r, zone) for r in conflicts]}


@router.get("/plages")
async def list_plages(agent_id: uuid.UUID | None = None, lieu_id: uuid.UUID | None = None,
                      p: Page = Depends(page), identity: Identity = Caller,
                      unit: AvailabilityUnitOfWork = Depends(uow)):
    """List plages d'ouverture (a basic agent: their own)."""
    items, total = await plages.list_plages(uow=unit, identity=identity, agent_id=agent_id, page=p.page,
                                            per_page=p.per_page, lieu_id=lieu_id)
    warnings = await plages.warnings_of(uow=unit, plages=items)
    return listing([_plage(x, warnings[x.id]) for x in items], total, p)


@router.post("/plages", status_code=201)
async def create_plage(body: PlageIn, identity: Identity = Caller, unit: AvailabilityUnitOfWork = Depends(uow)):
    """Create a plage d'ouverture."""
    return _plage(*await plages.create_plage(uow=unit, identity=identity, fields=body.model_dump()))


@router.get("/plages/{plage_id}")
async def get_plage(plage_id: uuid.UUID, identity: Identity = Caller, unit: AvailabilityUnitOfWork = Depends(uow)):
    """Read a plage d'ouverture."""
    plage = await plages.get_plage(uow=unit, identity=identity, plage_id=plage_id)
    return _plage(plage, await plages.overlap_warnings(uow=unit, plage=plage))


DryRun = Query(False, description="change nothing: answer `{plage, rdvs_orphaned}`")


def _orphaned(rdvs, zone: str) -> list[dict]:
    return [views.rdv(r, zone) for r in rdvs]


@router.patch("/plages/{plage_id}")
async def update_plage(plage_id: uuid.UUID, body: PlagePatch, identity: Identity = Caller,
                       unit: AvailabilityUnitOfWork = Depends(uow), dry_run: bool = DryRun):
    """Change a plage d'ouverture; answer the RDVs to come it leaves outside every plage (`rdvs_orphaned`)."""
    plage, warnings, orphaned = await plages.update_plage(uow=unit, identity=identity, plage_id=plage_id,
                                                          changes=body.changes(), dry_run=dry_run)
    rdvs = _orphaned(orphaned, identity.timezone)
    if dry_run:
        return {"plage": _plage(plage, warnings), "rdvs_orphaned": rdvs}
    return {**_plage(plage, warnings), "rdvs_orphaned": rdvs}


@router.delete("/plages/{plage_id}", status_code=204)
async def delete_plage(plage_id: uuid.UUID, identity: Identity = Caller, unit: AvailabilityUnitOfWork = Depends(uow),
                       dry_run: bool = DryRun):
    """Delete a plage d'ouverture (`dry_run`: 200 `{plage: null, rdvs_orphaned}`, nothing deleted)."""
    orphaned = await plages.delete_plage(uow=unit, identity=identity, plage_id=plage_id, dry_run=dry_run)
    if dry_run:
        return JSONResponse({"plage": None, "rdvs_orphaned": _orphaned(orphaned, identity.timezone)})
    return Response(status_code=204)


@router.get("/absences")
async def list_absences(agent_id: uuid.UUID | None = None, p: Page = Depends(page), identity: Identity = Caller,
                        unit: AvailabilityUnitOfWork = Depends(uow)):
    """List absences (a basic agent: their own), with their RDVs in conflict."""
    items, total = await absences.list_absences(uow=unit, identity=identity, agent_id=agent_id, page=p.page,
                                                per_page=p.per_page)
    return listing([_absence(a, c, identity.timezone) for a, c in items], total, p)


@router.post("/absences", status_code=201)
async def create_absence(body: AbsenceIn, identity: Identity = Caller, unit: AvailabilityUnitOfWork = Depends(uow)):
    """Create an absence; answer the RDVs inside it (left untouched)."""
    absence, conflicts = await absences.create_absence(uow=unit, identity=identity, fields=body.model_dump())
    return _absence(absence, conflicts, identity.timezone)


@router.get("/absences/{absence_id}")
async def get_absence(absence_id: uuid.UUID, identity: Identity = Caller, unit: AvailabilityUnitOfWork = Depends(uow)):
    """Read an absence, with its RDVs in conflict."""
    absence = await absences.get_absence(uow=unit, identity=identity, absence_id=absence_id)
    return _absence(absence, await absences.rdvs_in_conflict(uow=unit, absence=absence), identity.timezone)


@router.patch("/absences/{absence_id}")
async def update_absence(absence_id: uuid.UUID, body: AbsencePatch, identity: Identity = Caller,
                         unit: AvailabilityUnitOfWork = Depends(uow)):
    """Change an absence."""
    absence, conflicts = await absences.update_absence(uow=unit, identity=identity, absence_id=absence_id,
                                                       changes=body.changes())
    return _absence(absence, conflicts, identity.timezone)


@router.delete("/absences/{absence_id}", status_code=204)
async def delete_absence(absence_id: uuid.UUID, identity: Identity = Caller,
                         unit: AvailabilityUnitOfWork = Depends(uow)):
    """Delete an absence."""
    await absences.delete_absence(uow=unit, identity=identity, absence_id=absence_id)
    return Response(status_code=204)
