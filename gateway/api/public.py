"""Public booking (no authentication): créneaux and booking of an organisation that publishes online."""
from __future__ import annotations

import uuid
from datetime import timedelta

from fastapi import APIRouter, Query, Request

from gateway.adapters import positions
from gateway.adapters import repository as repo
from gateway.api.audit import ORGANISATION_KEY
from gateway.api.deps import POSITIONS_KEY, client_ip, get_db
from gateway.api.forward import call, forward, raw_json, relay
from gateway.domain.model import Organisation
from gateway.schemas import public as s
from gateway.schemas.availability import AgendaDay
from gateway.schemas.common import STANDARD_ERRORS
from gateway.service_layer import ratelimit
from shared.errors import NotFound
from shared.identity import Identity

router = APIRouter(prefix="/api/v1/public", tags=["prise de rendez-vous en ligne"], responses=STANDARD_ERRORS)
BOOKINGS_PER_WINDOW = 30
WINDOW = timedelta(minutes=10)


async def published_organisation(request: Request, slug: str) -> Organisation:
    """The organisation of a slug, if it publishes online (else 404)."""
    async with get_db(request).uow() as uow:
        org = await repo.get_organisation_by_slug(uow=uow, slug=slug)
        if org is None or not org.publish_online:
            raise NotFound("Cette organisation ne propose pas de prise de rendez-vous en ligne.")
        request.scope[POSITIONS_KEY] = await positions.read(uow=uow, organisation_id=org.id)
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
    identity = public_identity(org)
    usager_body = (await raw_json(request))["usager"]
    found = await call(request, "usagers", "POST", "/v1/usagers/find-or-create", identity=identity,
                       json={k: usager_body.get(k) for k in ("first_name", "last_name", "email", "phone")})
    if found.status_code not in (200, 201):
        return relay(found)
    rdv = {"motif_id": str(body.motif_id), "lieu_id": str(body.lieu_id), "starts_at": body.starts_at.isoformat(),
           "usager_id": found.json()["id"]}
    return relay(await call(request, "booking", "POST", "/v1/public/rdvs", identity=identity, json=rdv))
