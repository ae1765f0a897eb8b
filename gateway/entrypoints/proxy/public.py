"""Public booking (no authentication): créneaux and booking of an organisation that publishes online."""
from __future__ import annotations

import functools
import uuid
from datetime import timedelta

from fastapi import APIRouter, Query, Request

from gateway.domain.model import Organisation
from gateway.entrypoints.common import client_ip, get_db
from gateway.entrypoints.proxy.forward import call, forward, raw_json, relay
from gateway.entrypoints.request_state import ORGANISATION_KEY, POSITIONS_KEY
from gateway.schemas import public as s
from gateway.schemas.availability import AgendaDay
from gateway.schemas.common import STANDARD_ERRORS
from gateway.service_layer import public_booking, queries, ratelimit
from shared.identity import Identity

router = APIRouter(prefix="/api/v1/public", tags=["prise de rendez-vous en ligne"], responses=STANDARD_ERRORS)
BOOKINGS_PER_WINDOW = 30
WINDOW = timedelta(minutes=10)


async def published_organisation(request: Request, slug: str) -> Organisation:
    """The organisation of a slug, if it publishes online (else 404)."""
    org, positions = await queries.published_organisation(db=get_db(request), slug=slug)
    request.scope[POSITIONS_KEY] = positions
    request.scope[ORGANISATION_KEY] = org.id
    return org


def public_identity(org: Organisation) -> Identity:
    return Identity(kind="public", organisation_id=org.id, timezone=org.timezone, holiday_zone=org.holiday_zone,
                    holiday_observances=org.holiday_observances)


@router.get("/{slug}/creneaux", response_model=s.PublicCreneauxOut)
async def public_creneaux(slug: str, request: Request, motif_id: uuid.UUID, from_: AgendaDay = Query(alias="from"),
                          to: AgendaDay = Query(), lieu_id: uuid.UUID | None = Query(None)):
    """Free slots of a motif bookable online (one per start time and lieu, no agent names)."""
    org = await published_organisation(request, slug)
    return await forward(request, "availability", "/v1/public/creneaux", identity=public_identity(org))


@router.post("/{slug}/rdvs", status_code=201, response_model=s.PublicRdvOut)
async def public_book(slug: str, body: s.PublicRdvIn, request: Request):
    """Book a créneau as an usager (origin usager); rate-limited per IP."""
    org = await published_organisation(request, slug)
    limit = getattr(request.app.state.runtime.settings, "public_bookings_per_10_minutes", BOOKINGS_PER_WINDOW)
    await ratelimit.hit(db=get_db(request), bucket=f"public-book:{org.id}:{client_ip(request)}",
                        limit=limit, window=WINDOW)
    answer = await public_booking.book(call=functools.partial(call, request), identity=public_identity(org),
                                       usager=(await raw_json(request))["usager"], motif_id=body.motif_id,
                                       lieu_id=body.lieu_id, starts_at=body.starts_at)
    return relay(answer)
