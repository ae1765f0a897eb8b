"""Event handlers keeping the projections (run by the inbox: once per event, in one transaction)."""
from __future__ import annotations

import uuid
from typing import Any

from services.usagers.service_layer.unit_of_work import UsagersUnitOfWork
from shared.events import Envelope
from shared.timeutil import parse_instant


def _id(value: Any) -> uuid.UUID | None:
    return uuid.UUID(str(value)) if value else None


PURGED = "booking.rdv.purged"


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
            if envelope.data.get("rdv_id"):
                await repo.upsert_rdvs(list(newest.values()))
                newest = {}
                await repo.purge_rdv(rdv_id=_id(envelope.data["rdv_id"]))
            continue
        row = _rdv_row(envelope)
        if row is not None and (row["id"] not in newest or row["version"] > newest[row["id"]]["version"]):
            newest[row["id"]] = row
    await repo.upsert_rdvs(list(newest.values()))


def _rdv_row(envelope: Envelope) -> dict[str, Any] | None:
    rdv = envelope.data.get("rdv") or {}
    if not rdv.get("id"):
        return None
    return {
        "id": _id(rdv["id"]),
        "organisation_id": _id(rdv.get("organisation_id")) or envelope.organisation_id,
        "service_id": _id(rdv.get("service_id")),
        "motif_id": _id(rdv["motif_id"]),
        "lieu_id": _id(rdv.get("lieu_id")),
        "agent_ids": [_id(a) for a in rdv.get("agent_ids") or []],
        "usager_ids": [_id(u) for u in rdv.get("usager_ids") or []],
        "starts_at": parse_instant(str(rdv["starts_at"])),
        "ends_at": parse_instant(str(rdv["ends_at"])),
        "status": rdv.get("status") or "unknown",
        "version": int(rdv.get("version") or 0),
    }


async def on_catalog_event(uow: UsagersUnitOfWork, envelope: Envelope) -> None:
    """availability.motif.* / availability.lieu.*: the names the fiche shows."""
    repo = uow.projections
    deleted = envelope.type.endswith(".deleted")
    if envelope.type.startswith("availability.motif.") and envelope.data.get("motif"):
        await repo.upsert_motif(motif=_catalog_entry(envelope.data["motif"]), organisation_id=envelope.organisation_id,
                                deleted=deleted, at=envelope.occurred_at)
    elif envelope.type.startswith("availability.lieu.") and envelope.data.get("lieu"):
        await repo.upsert_lieu(lieu=_catalog_entry(envelope.data["lieu"]), organisation_id=envelope.organisation_id,
                               deleted=deleted, at=envelope.occurred_at)


def _catalog_entry(entry: dict[str, Any]) -> dict[str, Any]:
    return {**entry, "id": _id(entry["id"]), "service_id": _id(entry.get("service_id"))}
