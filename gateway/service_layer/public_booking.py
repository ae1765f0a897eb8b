"""Use cases of public booking, composed by the gateway (docs/internal.md): the catalogue an usager books
from (availability's motifs and lieux), and a booking (find or create the usager in usagers, then book for
them in booking), with the organisation's public identity."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Awaitable, Callable

from shared.service_client import ServiceResponse
from shared.identity import Identity

# Calls a service for the request: (service, method, path, identity=, params=, json=) -> its answer.
Call = Callable[..., Awaitable[ServiceResponse]]
USAGER_FIELDS = ("first_name", "last_name", "email", "phone")
PUBLIC_MOTIF_FIELDS = ("id", "name", "duration_minutes", "location_type", "color",
                       "min_booking_delay_minutes", "max_booking_delay_days")
LIEU_FIELDS = ("id", "name", "address", "phone")


async def _items(call: Call, path: str, identity: Identity) -> list[dict]:
    resp = await call("availability", "GET", path, identity=identity, params={"per_page": 200})
    body = resp.json() if resp.status_code == 200 else {}
    return body.get("items", []) if isinstance(body, dict) else []


async def catalogue(*, call: Call, identity: Identity) -> dict[str, list[dict]]:
    """The motifs bookable online and the lieux of the organisation, with the fields the public page shows."""
    motifs = [{k: m.get(k) for k in PUBLIC_MOTIF_FIELDS}
              for m in await _items(call, "/v1/motifs", identity) if m.get("reservable_online")]
    lieux = [{k: lieu.get(k) for k in LIEU_FIELDS} for lieu in await _items(call, "/v1/lieux", identity)]
    return {"motifs": motifs, "lieux": lieux}


async def book(*, call: Call, identity: Identity, usager: dict[str, Any], motif_id: uuid.UUID,
               lieu_id: uuid.UUID, starts_at: datetime) -> ServiceResponse:
    """Book a créneau for an usager found by phone or email (else created); a refusal of either step is the
    answer (the usager found or created stays: a retry finds it)."""
    found = await call("usagers", "POST", "/v1/usagers/find-or-create", identity=identity,
                       json={k: usager.get(k) for k in USAGER_FIELDS})
    if found.status_code not in (200, 201):
        return found
    rdv = {"motif_id": str(motif_id), "lieu_id": str(lieu_id), "starts_at": starts_at.isoformat(),
           "usager_id": found.json()["id"]}
    return await call("booking", "POST", "/v1/public/rdvs", identity=identity, json=rdv)
