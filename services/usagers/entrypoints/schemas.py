"""Request bodies and the JSON shape of usagers, fiches and their RDVs."""
from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict

from services.usagers.domain.usager import Usager
from services.usagers.service_layer.fiche import Fiche
from shared.timeutil import iso


class UsagerIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    first_name: str
    last_name: str
    birth_name: str | None = None
    birth_date: date | None = None
    email: str | None = None
    phone: str | None = None
    address: str | None = None
    notify_by_sms: bool = True
    notify_by_email: bool = True
    responsible_id: uuid.UUID | None = None


class UsagerPatch(BaseModel):
    """Only the fields sent change; null clears an optional field."""

    model_config = ConfigDict(extra="ignore")

    first_name: str | None = None
    last_name: str | None = None
    birth_name: str | None = None
    birth_date: date | None = None
    email: str | None = None
    phone: str | None = None
    address: str | None = None
    notify_by_sms: bool | None = None
    notify_by_email: bool | None = None
    responsible_id: uuid.UUID | None = None

    def changes(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.model_fields_set}


class FindOrCreateIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    first_name: str
    last_name: str
    email: str | None = None
    phone: str


def _instant(value, zone: str) -> str | None:
    return iso(value, zone) if value else None


def usager_out(u: Usager, zone: str) -> dict[str, Any]:
    return {
        "id": str(u.id), "organisation_id": str(u.organisation_id),
        "first_name": u.first_name, "last_name": u.last_name, "birth_name": u.birth_name,
        "birth_date": u.birth_date.isoformat() if u.birth_date else None,
        "email": u.email, "phone": u.phone, "address": u.address,
        "notify_by_sms": u.notify_by_sms, "notify_by_email": u.notify_by_email,
        "responsible_id": str(u.responsible_id) if u.responsible_id else None,
        "effective_email": u.effective_email, "effective_phone": u.effective_phone,
        "created_at": _instant(u.created_at, zone), "updated_at": _instant(u.updated_at, zone),
        "created_by": str(u.created_by) if u.created_by else None,
        "anonymized": u.is_anonymized, "anonymized_at": _instant(u.anonymized_at, zone),
    }


def rdv_out(r: dict[str, Any], zone: str) -> dict[str, Any]:
    ids = lambda values: [str(v) for v in values or []]  # noqa: E731
    return {
        "id": str(r["id"]), "organisation_id": str(r["organisation_id"]),
        "service_id": str(r["service_id"]) if r["service_id"] else None,
        "motif_id": str(r["motif_id"]), "lieu_id": str(r["lieu_id"]) if r["lieu_id"] else None,
        "motif": {"id": str(r["motif_id"]), "name": r["motif_name"]} if r["motif_name"] is not None else None,
        "lieu": ({"id": str(r["lieu_id"]), "name": r["lieu_name"], "address": r["lieu_address"]}
                 if r["lieu_name"] is not None else None),
        "motif_name": r["motif_name"], "lieu_name": r["lieu_name"],
        "agent_ids": ids(r["agent_ids"]), "usager_ids": ids(r["usager_ids"]),
        "starts_at": iso(r["starts_at"], zone), "ends_at": iso(r["ends_at"], zone),
        "status": r["status"], "display_status": r["display_status"],
    }


def fiche_out(f: Fiche, zone: str) -> dict[str, Any]:
    return {
        "usager": usager_out(f.usager, zone),
        "responsible": usager_out(f.responsible, zone) if f.responsible else None,
        "relatives": [usager_out(r, zone) for r in f.relatives],
        "rdvs_upcoming": [rdv_out(r, zone) for r in f.rdvs_upcoming],
        "rdvs_past": [rdv_out(r, zone) for r in f.rdvs_past],
        "stats": f.stats,
    }
