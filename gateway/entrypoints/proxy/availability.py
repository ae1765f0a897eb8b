"""Availability routes, forwarded to the availability service (`/api/v1/x` -> `/v1/x`)."""
from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Query, Request

from gateway.domain.model import Principal
from gateway.domain.permissions import candidate_agents, require_write_for
from gateway.entrypoints.auth.dependencies import current_principal, identity_of
from gateway.entrypoints.common import Paging, get_db
from gateway.entrypoints.proxy.checks import ensure_agents, ensure_services
from gateway.entrypoints.proxy.forward import forward
from gateway.schemas import availability as s
from gateway.schemas.common import STANDARD_ERRORS, Page, instant_between
from gateway.service_layer import queries

AgendaInstant = instant_between(1970, 2200)

router = APIRouter(prefix="/api/v1", tags=["disponibilités"], responses=STANDARD_ERRORS)
SERVICE = "availability"


async def _fwd(request: Request, principal: Principal, path: str, **kw):
    return await forward(request, SERVICE, path, identity=identity_of(principal), **kw)


# ---- lieux ----

@router.get("/lieux", response_model=Page[s.LieuOut])
async def list_lieux(request: Request, paging: Paging = Depends(), principal: Principal = Depends(current_principal)):
    """The organisation's lieux."""
    return await _fwd(request, principal, "/v1/lieux")


@router.post("/lieux", status_code=201, response_model=s.LieuOut)
async def create_lieu(body: s.LieuIn, request: Request, principal: Principal = Depends(current_principal)):
    """Add a lieu (admins)."""
    return await _fwd(request, principal, "/v1/lieux")


@router.get("/lieux/{lieu_id}", response_model=s.LieuOut)
async def get_lieu(lieu_id: uuid.UUID, request: Request, principal: Principal = Depends(current_principal)):
    """One lieu."""
    return await _fwd(request, principal, f"/v1/lieux/{lieu_id}")


@router.patch("/lieux/{lieu_id}", response_model=s.LieuOut)
async def patch_lieu(lieu_id: uuid.UUID, body: s.LieuPatch, request: Request,
                     principal: Principal = Depends(current_principal)):
    """Change a lieu (admins)."""
    return await _fwd(request, principal, f"/v1/lieux/{lieu_id}")


@router.delete("/lieux/{lieu_id}", status_code=204)
async def delete_lieu(lieu_id: uuid.UUID, request: Request, principal: Principal = Depends(current_principal)):
    """Delete a lieu (admins)."""
    return await _fwd(request, principal, f"/v1/lieux/{lieu_id}")


# ---- motifs ----

@router.get("/motifs", response_model=Page[s.MotifOut])
async def list_motifs(request: Request, paging: Paging = Depends(), service_id: uuid.UUID | None = Query(None),
                      principal: Principal = Depends(current_principal)):
    """The organisation's motifs (optionally of one service)."""
    await ensure_services(request, principal, [service_id])
    return await _fwd(request, principal, "/v1/motifs")


@router.post("/motifs", status_code=201, response_model=s.MotifOut)
async def create_motif(body: s.MotifIn, request: Request, principal: Principal = Depends(current_principal)):
    """Add a motif (admins)."""
    await ensure_services(request, principal, [body.service_id])
    return await _fwd(request, principal, "/v1/motifs")


@router.get("/motifs/{motif_id}", response_model=s.MotifOut)
async def get_motif(motif_id: uuid.UUID, request: Request, principal: Principal = Depends(current_principal)):
    """One motif."""
    return await _fwd(request, principal, f"/v1/motifs/{motif_id}")


@router.patch("/motifs/{motif_id}", response_model=s.MotifOut)
async def patch_motif(motif_id: uuid.UUID, body: s.MotifPatch, request: Request,
                      principal: Principal = Depends(current_principal)):
    """Change a motif (admins)."""
    await ensure_services(request, principal, [body.service_id])
    return await _fwd(request, principal, f"/v1/motifs/{motif_id}")


@router.delete("/motifs/{motif_id}", status_code=204)
async def delete_motif(motif_id: uuid.UUID, request: Request, principal: Principal = Depends(current_principal)):
    """Delete a motif (admins)."""
    return await _fwd(request, principal, f"/v1/motifs/{motif_id}")


# ---- plages and absences (an agent writes their own; an admin anyone's) ----

async def _check_owner(request: Request, principal: Principal, agent_id: uuid.UUID | None) -> None:
    if agent_id is not None:
        await ensure_agents(request, principal, [agent_id])
        require_write_for(principal.agent, agent_id)


@router.get("/plages", response_model=Page[s.PlageOut])
async def list_plages(request: Request, paging: Paging = Depends(), agent_id: uuid.UUID | None = Query(None),
                      lieu_id: uuid.UUID | None = Query(None), principal: Principal = Depends(current_principal)):
    """Plages d'ouverture (optionally of one agent or lieu)."""
    await ensure_agents(request, principal, [agent_id])
    return await _fwd(request, principal, "/v1/plages")


@router.post("/plages", status_code=201, response_model=s.PlageOut)
async def create_plage(body: s.PlageIn, request: Request, principal: Principal = Depends(current_principal)):
    """Open a plage for an agent at a lieu, for some motifs (own plages, or an admin)."""
    await _check_owner(request, principal, body.agent_id)
    return await _fwd(request, principal, "/v1/plages")


@router.get("/plages/{plage_id}", response_model=s.PlageOut)
async def get_plage(plage_id: uuid.UUID, request: Request, principal: Principal = Depends(current_principal)):
    """One plage."""
    return await _fwd(request, principal, f"/v1/plages/{plage_id}")


@router.patch("/plages/{plage_id}", response_model=s.PlageOut)
async def patch_plage(plage_id: uuid.UUID, body: s.PlagePatch, request: Request,
                      principal: Principal = Depends(current_principal)):
    """Change a plage (own plages, or an admin)."""
    await _check_owner(request, principal, body.agent_id)
    return await _fwd(request, principal, f"/v1/plages/{plage_id}")


@router.delete("/plages/{plage_id}", status_code=204)
async def delete_plage(plage_id: uuid.UUID, request: Request, principal: Principal = Depends(current_principal)):
    """Delete a plage (own plages, or an admin)."""
    return await _fwd(request, principal, f"/v1/plages/{plage_id}")


@router.get("/absences", response_model=Page[s.AbsenceOut])
async def list_absences(request: Request, paging: Paging = Depends(), agent_id: uuid.UUID | None = Query(None),
                        principal: Principal = Depends(current_principal)):
    """Absences (optionally of one agent)."""
    await ensure_agents(request, principal, [agent_id])
    return await _fwd(request, principal, "/v1/absences")


@router.post("/absences", status_code=201, response_model=s.AbsenceOut)
async def create_absence(body: s.AbsenceIn, request: Request, principal: Principal = Depends(current_principal)):
    """Close an agent's agenda for a period; lists the RDVs left inside it (own absences, or an admin)."""
    await _check_owner(request, principal, body.agent_id)
    return await _fwd(request, principal, "/v1/absences")


@router.get("/absences/{absence_id}", response_model=s.AbsenceOut)
async def get_absence(absence_id: uuid.UUID, request: Request, principal: Principal = Depends(current_principal)):
    """One absence."""
    return await _fwd(request, principal, f"/v1/absences/{absence_id}")


@router.patch("/absences/{absence_id}", response_model=s.AbsenceOut)
async def patch_absence(absence_id: uuid.UUID, body: s.AbsencePatch, request: Request,
                        principal: Principal = Depends(current_principal)):
    """Change an absence (own absences, or an admin)."""
    await _check_owner(request, principal, body.agent_id)
    return await _fwd(request, principal, f"/v1/absences/{absence_id}")


@router.delete("/absences/{absence_id}", status_code=204)
async def delete_absence(absence_id: uuid.UUID, request: Request, principal: Principal = Depends(current_principal)):
    """Delete an absence (own absences, or an admin)."""
    return await _fwd(request, principal, f"/v1/absences/{absence_id}")


# ---- computed ----

@router.get("/jours-feries", response_model=list[s.JourFerie])
async def jours_feries(request: Request, year: int = Query(ge=1900, le=2200),
                       zone: s.HolidayZone | None = Query(None),
                       observances: s.HolidayObservances | None = Query(None),
                       principal: Principal = Depends(current_principal)):
    """Public holidays of a year in a zone (default: the organisation's zone and observances), French names."""
    return await _fwd(request, principal, "/v1/jours-feries")


@router.get("/creneaux", response_model=s.CreneauxOut)
async def creneaux(request: Request, motif_id: uuid.UUID, from_: s.AgendaDay = Query(alias="from"),
                   to: s.AgendaDay = Query(),
                   lieu_id: uuid.UUID | None = Query(None), agent_id: list[uuid.UUID] | None = Query(None),
                   elargir: bool = Query(False), principal: Principal = Depends(current_principal)):
    """Free slots of a motif over at most 62 days, for the candidate agents."""
    if agent_id:
        await ensure_agents(request, principal, agent_id)
        agent_ids = sorted(set(agent_id))
    else:
        colleagues = await queries.colleagues(db=get_db(request), organisation_id=principal.organisation.id)
        agent_ids = candidate_agents(caller=principal.agent, colleagues=colleagues, elargir=elargir)
    params = [("motif_id", str(motif_id)), ("from", from_.isoformat()), ("to", to.isoformat()),
              ("agent_ids", ",".join(str(a) for a in agent_ids))]
    if lieu_id:
        params.append(("lieu_id", str(lieu_id)))
    return await _fwd(request, principal, "/v1/creneaux", params=params)


@router.get("/creneaux/explain", response_model=s.ExplainOut)
async def explain_creneau(request: Request, agent_id: uuid.UUID, motif_id: uuid.UUID, starts_at: AgendaInstant,
                          principal: Principal = Depends(current_principal)):
    """Whether a start is free for an agent and a motif, and why not (outside every plage, absence,
    jour férié, RDV, in the past)."""
    await ensure_agents(request, principal, [agent_id])
    return await _fwd(request, principal, "/v1/creneaux/explain")


@router.get("/agenda", response_model=s.AgendaOut)
async def agenda(request: Request, agent_id: uuid.UUID, from_: s.AgendaDay = Query(alias="from"),
                 to: s.AgendaDay = Query(),
                 principal: Principal = Depends(current_principal)):
    """Plage and absence occurrences, holidays and RDVs of one agent in a window (calendar view)."""
    await ensure_agents(request, principal, [agent_id])
    return await _fwd(request, principal, "/v1/agenda")
