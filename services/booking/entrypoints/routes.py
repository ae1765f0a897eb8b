"""HTTP routes of the booking service (`/v1/...`, reached through the gateway)."""
from __future__ import annotations

import uuid
from datetime import date

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse, Response

from services.booking.adapters.availability import AvailabilityClient
from services.booking.domain.rdv import RdvFilters
from services.booking.entrypoints.schemas import (PublicRdvIn, RdvIn, RdvPatch, StatusIn, check_window,
                                                  parse_statuses)
from services.booking.service_layer import booking, changes, reads
from services.booking.service_layer.commands import BookPublicRdv, BookRdv, ChangeRdv, ChangeRdvStatus
from shared.identity import Identity, caller_of, current_identity
from shared.timeutil import day_bounds
from shared.web.hot import HotRoute, model_body

router = APIRouter(prefix="/v1")

IDEMPOTENCY_KEY_MAX = 255
IdempotencyKey = Header(default=None, alias="Idempotency-Key", max_length=IDEMPOTENCY_KEY_MAX)


def _db(request: Request):
    return request.app.state.runtime.db


def _availability(request: Request) -> AvailabilityClient:
    state = request.app.state
    client = getattr(state, "availability", None)
    if client is None:
        settings = state.runtime.settings
        client = state.availability = AvailabilityClient(settings.availability_base_url(),
                                                         timeout=settings.availability_timeout_seconds)
    return client


@router.post("/rdvs", status_code=201)
async def book(body: RdvIn, request: Request, identity: Identity = Depends(current_identity),
               idempotency_key: str | None = IdempotencyKey):
    """Book an RDV (checked by availability, then under the no-overlap constraint)."""
    command = BookRdv(motif_id=body.motif_id, lieu_id=body.lieu_id, agent_ids=tuple(body.agent_ids),
                      usager_ids=tuple(body.usager_ids), starts_at=body.starts_at,
                      duration_minutes=body.duration_minutes, context=body.context,
                      idempotency_key=idempotency_key or None, allow_outside_opening=body.allow_outside_opening)
    rdv = await booking.book_rdv(db=_db(request), availability=_availability(request), identity=identity,
                                 command=command)
    return JSONResponse(rdv, status_code=201)


async def book_hot(request: Request) -> Response | None:
    """`book` without FastAPI's per-request machinery (the gateway calls it for every booking)."""
    key = request.headers.get("idempotency-key")
    parsed = await model_body(request, RdvIn) if key is None or len(key) <= IDEMPOTENCY_KEY_MAX else None
    identity = caller_of(request) if parsed is not None else None
    return None if identity is None else await book(parsed, request, identity, key)


HOT_ROUTES = [HotRoute("POST", "/v1/rdvs", book_hot)]


@router.post("/public/rdvs", status_code=201)
async def book_public(body: PublicRdvIn, request: Request, identity: Identity = Depends(current_identity),
                      idempotency_key: str | None = IdempotencyKey):
    """Book an RDV chosen by an usager on the public page (an agent is picked by availability)."""
    command = BookPublicRdv(motif_id=body.motif_id, lieu_id=body.lieu_id, starts_at=body.starts_at,
                            usager_id=body.usager_id, idempotency_key=idempotency_key or None)
    rdv = await booking.book_public_rdv(db=_db(request), availability=_availability(request),
                                        identity=identity, command=command)
    return JSONResponse(rdv, status_code=201)


@router.get("/rdvs")
async def list_rdvs(request: Request, identity: Identity = Depends(current_identity),
                    agent_id: uuid.UUID | None = None, service_id: uuid.UUID | None = None,
                    motif_id: uuid.UUID | None = None, lieu_id: uuid.UUID | None = None,
                    usager_id: uuid.UUID | None = None, status: str | None = None,
                    from_: date | None = Query(default=None, alias="from"),
                    to: date | None = None, page: int = Query(default=1, ge=1, le=100000),
                    per_page: int = Query(default=50, ge=1, le=200)):
    """List visible RDVs by start time; `from`/`to` are local days of the organisation."""
    check_window(from_, to)
    zone = identity.timezone
    filters = RdvFilters(agent_id=agent_id, service_id=service_id, motif_id=motif_id, lieu_id=lieu_id,
                         usager_id=usager_id, statuses=parse_statuses(status),
                         starts_from=day_bounds(from_, zone)[0] if from_ else None,
                         starts_before=day_bounds(to, zone)[1] if to else None)
    return await reads.list_rdvs(db=_db(request), identity=identity, filters=filters, page=page,
                                 per_page=per_page)


@router.get("/rdvs/{rdv_id}")
async def read(rdv_id: uuid.UUID, request: Request, identity: Identity = Depends(current_identity)):
    """Read one RDV."""
    return await reads.get_rdv(db=_db(request), identity=identity, rdv_id=rdv_id)


@router.patch("/rdvs/{rdv_id}")
async def change(rdv_id: uuid.UUID, body: RdvPatch, request: Request,
                 identity: Identity = Depends(current_identity)):
    """Move or change an RDV (time, agents, lieu, duration, context)."""
    return await changes.change_rdv(db=_db(request), availability=_availability(request), identity=identity,
                                    command=ChangeRdv(rdv_id=rdv_id, changes=body.given(),
                                                      allow_outside_opening=body.allow_outside_opening))


@router.post("/rdvs/{rdv_id}/status")
async def change_status(rdv_id: uuid.UUID, body: StatusIn, request: Request,
                        identity: Identity = Depends(current_identity)):
    """Set the RDV's status (seen, noshow, excused, revoked) or reset it to unknown."""
    return await changes.change_rdv_status(db=_db(request), identity=identity,
                                           command=ChangeRdvStatus(rdv_id=rdv_id, status=body.status))
