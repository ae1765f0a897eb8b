"""HTTP routes of the usagers service (`/v1/usagers`, forwarded by the gateway from `/api/v1/usagers`)."""
from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter, Depends, Query, Response

from services.usagers.entrypoints.schemas import FindOrCreateIn, UsagerIn, UsagerPatch, fiche_out, usager_out
from services.usagers.service_layer import fiche as fiches
from services.usagers.service_layer import usagers as use_cases
from services.usagers.service_layer.unit_of_work import UsagersUnitOfWork
from shared.errors import ValidationFailed
from shared.identity import Identity, current_identity
from shared.service import ServiceRuntime, get_runtime

router = APIRouter(prefix="/v1/usagers", tags=["usagers"])


def agent(identity: Identity = Depends(current_identity)) -> Identity:
    identity.require_agent()
    return identity


def new_uow(runtime: ServiceRuntime = Depends(get_runtime)) -> UsagersUnitOfWork:
    return runtime.db.uow()


def _ids(raw: str | None) -> list[uuid.UUID] | None:
    if raw is None:
        return None
    try:
        return [uuid.UUID(part) for part in raw.split(",") if part.strip()]
    except ValueError:
        raise ValidationFailed(details={"fields": {
            "ids": "Une liste d'identifiants (UUID) séparés par des virgules est attendue."}})


@router.post("", status_code=201)
async def create_usager(body: UsagerIn, identity: Identity = Depends(agent),
                        uow: UsagersUnitOfWork = Depends(new_uow)):
    """Create an usager; the answer lists possible duplicates."""
    usager, duplicates = await use_cases.create_usager(uow=uow, identity=identity,
                                                       data=body.model_dump())
    return {**usager_out(usager, identity.timezone),
            "possible_duplicates": [usager_out(d, identity.timezone) for d in duplicates]}


@router.get("")
async def list_usagers(q: str | None = Query(None, max_length=200),
                       scope: Literal["service", "organisation"] = "service",
                       page: int = Query(1, ge=1, le=100000), per_page: int = Query(50, ge=1, le=200),
                       ids: str | None = Query(None, max_length=20000),
                       identity: Identity = Depends(agent), uow: UsagersUnitOfWork = Depends(new_uow)):
    """Search usagers by name prefix, phone or email (best first), in the caller's services or the organisation."""
    items, total = await use_cases.search_usagers(uow=uow, identity=identity, q=q, scope=scope,
                                                  page=page, per_page=per_page, ids=_ids(ids))
    return {"items": [usager_out(u, identity.timezone) for u in items], "total": total,
            "page": page, "per_page": per_page}


@router.post("/find-or-create")
async def find_or_create_usager(body: FindOrCreateIn, response: Response,
                                identity: Identity = Depends(current_identity),
                                uow: UsagersUnitOfWork = Depends(new_uow)):
    """Reuse the usager with this phone or email, else create one (public booking)."""
    usager, created = await use_cases.find_or_create_usager(uow=uow, identity=identity,
                                                            data=body.model_dump())
    response.status_code = 201 if created else 200
    return usager_out(usager, identity.timezone)


@router.get("/{usager_id}")
async def get_fiche(usager_id: uuid.UUID, identity: Identity = Depends(agent),
                    uow: UsagersUnitOfWork = Depends(new_uow)):
    """The fiche: usager, relatives, upcoming and past RDVs, stats."""
    fiche = await fiches.get_fiche(uow=uow, identity=identity, usager_id=usager_id)
    return fiche_out(fiche, identity.timezone)


@router.patch("/{usager_id}")
async def update_usager(usager_id: uuid.UUID, body: UsagerPatch, identity: Identity = Depends(agent),
                        uow: UsagersUnitOfWork = Depends(new_uow)):
    """Change some fields of an usager."""
    usager = await use_cases.update_usager(uow=uow, identity=identity, usager_id=usager_id,
                                           changes=body.changes())
    return usager_out(usager, identity.timezone)


@router.delete("/{usager_id}")
async def anonymise_usager(usager_id: uuid.UUID, identity: Identity = Depends(agent),
                           uow: UsagersUnitOfWork = Depends(new_uow)):
    """Anonymise an usager (RGPD; admins only): personal data wiped, the id kept."""
    usager = await use_cases.anonymise_usager(uow=uow, identity=identity, usager_id=usager_id)
    return usager_out(usager, identity.timezone)
