"""Event handlers keeping the projections (run by the inbox: once per event, in one transaction).

Each event's data is validated into the model of what this service reads of it (extra fields ignored,
a missing required one refused), never read with `.get`.
"""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict

from services.usagers.service_layer.unit_of_work import UsagersUnitOfWork
from shared.events import Envelope, LieuData, MotifData, RdvPurgedData

PURGED = "booking.rdv.purged"


class BookedRdv(BaseModel):
    """An RDV of `booking.rdv.*` as the fiches need it: the contract's fields and booking's `service_id`
    and `version` (docs/internal.md)."""

    model_config = ConfigDict(extra="ignore")

    id: uuid.UUID
    organisation_id: uuid.UUID | None = None
    service_id: uuid.UUID | None = None  # absent from older producers: the motif's service is taken
    motif_id: uuid.UUID
    lieu_id: uuid.UUID | None = None
    agent_ids: list[uuid.UUID] = []
    usager_ids: list[uuid.UUID] = []
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    status: str | None = None
    version: int | None = None


class RdvEventData(BaseModel):
    """`booking.rdv.created|updated|status_changed`: the RDV as it is now."""

    model_config = ConfigDict(extra="ignore")

    rdv: BookedRdv | None = None


async def on_rdv_event(uow: UsagersUnitOfWork, envelope: Envelope) -> None:
    """booking.rdv.*: keep the RDV and its usager <-> service links; ignore a version not newer."""
    await on_rdv_events(uow, [envelope])


async def on_rdv_events(uow: UsagersUnitOfWork, envelopes: list[Envelope]) -> None:
    """booking.rdv.* in order, in bulk: per RDV only its newest version is written (the database still
    refuses one not newer than what it holds); a purge applies at its place in the sequence."""
    repo = uow.projections
    newest: dict[uuid.UUID, dict[str, Any]] = {}
    for envelope in envelopes:
        if envelope.type == PURGED:  # RGPD retention: the RDV leaves the fiches
            await repo.upsert_rdvs(list(newest.values()))
            newest = {}
            await repo.purge_rdv(rdv_id=RdvPurgedData.model_validate(envelope.data).rdv_id)
            continue
        rdv = RdvEventData.model_validate(envelope.data).rdv
        if rdv is None:
            continue
        row = _rdv_row(rdv, organisation_id=envelope.organisation_id)
        if row["id"] not in newest or row["version"] > newest[row["id"]]["version"]:
            newest[row["id"]] = row
    await repo.upsert_rdvs(list(newest.values()))


def _rdv_row(rdv: BookedRdv, *, organisation_id: uuid.UUID | None) -> dict[str, Any]:
    return {"id": rdv.id, "organisation_id": rdv.organisation_id or organisation_id, "service_id": rdv.service_id,
            "motif_id": rdv.motif_id, "lieu_id": rdv.lieu_id, "agent_ids": rdv.agent_ids, "usager_ids": rdv.usager_ids,
            "starts_at": rdv.starts_at, "ends_at": rdv.ends_at, "status": rdv.status or "unknown",
            "version": rdv.version or 0}


async def on_catalog_event(uow: UsagersUnitOfWork, envelope: Envelope) -> None:
    """availability.motif.* / availability.lieu.*: the names the fiche shows."""
    repo = uow.projections
    deleted = envelope.type.endswith(".deleted")
    at: datetime = envelope.occurred_at
    if envelope.type.startswith("availability.motif."):
        motif = MotifData.model_validate(envelope.data).motif
        await repo.upsert_motif(motif=motif.model_dump(), organisation_id=envelope.organisation_id,
                                deleted=deleted, at=at)
    elif envelope.type.startswith("availability.lieu."):
        lieu = LieuData.model_validate(envelope.data).lieu
        await repo.upsert_lieu(lieu=lieu.model_dump(), organisation_id=envelope.organisation_id,
                               deleted=deleted, at=at)
