"""Use case of public booking, composed by the gateway (docs/internal.md): find or create the usager in
usagers, then book for them in booking, both with the organisation's public identity."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Awaitable, Callable

from gateway.adapters.services import ServiceResponse
from shared.identity import Identity

# Calls a service for the request: (service, method, path, identity=, json=) -> its answer.
Call = Callable[..., Awaitable[ServiceResponse]]
USAGER_FIELDS = ("first_name", "last_name", "email", "phone")


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
