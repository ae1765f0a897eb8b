"""Which RDVs a request covers: the viewer's visibility plus the list filters (pure data)."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

STATUS_FILTERS = ("unknown", "seen", "noshow", "excused", "revoked", "a_venir", "a_renseigner")


@dataclass(frozen=True)
class Viewer:
    """An agent as the gateway vouched for them: an admin sees the organisation, a basic agent
    the RDVs of motifs of their services and the RDVs they are assigned to."""

    organisation_id: uuid.UUID
    agent_id: uuid.UUID | None
    is_admin: bool
    service_ids: tuple[uuid.UUID, ...] = ()


@dataclass(frozen=True)
class RdvFilters:
    """The filters of `GET /rdvs`; days are local days of the organisation, `to` included."""

    agent_id: uuid.UUID | None = None
    service_id: uuid.UUID | None = None
    motif_id: uuid.UUID | None = None
    lieu_id: uuid.UUID | None = None
    usager_id: uuid.UUID | None = None
    statuses: tuple[str, ...] = field(default_factory=tuple)
    from_day: date | None = None
    to_day: date | None = None

    def to_json(self) -> dict:
        return {"agent_id": _s(self.agent_id), "service_id": _s(self.service_id), "motif_id": _s(self.motif_id),
                "lieu_id": _s(self.lieu_id), "usager_id": _s(self.usager_id),
                "status": ",".join(self.statuses) or None,
                "from": self.from_day.isoformat() if self.from_day else None,
                "to": self.to_day.isoformat() if self.to_day else None}

    @classmethod
    def from_json(cls, data: dict) -> "RdvFilters":
        def u(key):
            return uuid.UUID(data[key]) if data.get(key) else None

        def d(key):
            return date.fromisoformat(data[key]) if data.get(key) else None

        return cls(agent_id=u("agent_id"), service_id=u("service_id"), motif_id=u("motif_id"),
                   lieu_id=u("lieu_id"), usager_id=u("usager_id"),
                   statuses=parse_statuses(data.get("status")), from_day=d("from"), to_day=d("to"))


def parse_statuses(raw: str | None) -> tuple[str, ...]:
    """`seen` or `seen,noshow`; raises ValueError on an unknown status."""
    if not raw:
        return ()
    values = tuple(dict.fromkeys(v.strip() for v in raw.split(",") if v.strip()))
    unknown = [v for v in values if v not in STATUS_FILTERS]
    if unknown:
        raise ValueError(f"Statut inconnu : {', '.join(unknown)} (attendu : {', '.join(STATUS_FILTERS)}).")
    return values


def _s(value) -> str | None:
    return str(value) if value else None
