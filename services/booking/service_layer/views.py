"""The RDV as the API and the events show it (instants with the organisation's offset)."""
from __future__ import annotations

from datetime import date

from services.booking.domain.rdv import Rdv, allowed_statuses, display_status
from shared.timeutil import iso, local_day


def _s(value) -> str | None:
    return None if value is None else str(value)


def rdv_view(rdv: Rdv, *, zone: str, today: date) -> dict:
    """The contract's RDV body, with the statuses `POST .../status` accepts on `today`.

    Any agent who sees an RDV may change its status: `allowed_statuses` depends on the caller
    only through visibility, which the handlers check before rendering.
    """
    rdv_day = local_day(rdv.starts_at, zone)
    return {**_fields(rdv, zone=zone, rdv_day=rdv_day, today=today),
            "allowed_statuses": allowed_statuses(rdv.status, rdv_day=rdv_day, today=today)}


def _fields(rdv: Rdv, *, zone: str, rdv_day: date, today: date) -> dict:
    return {
        "id": str(rdv.id),
        "organisation_id": str(rdv.organisation_id),
        "motif_id": str(rdv.motif_id),
        "lieu_id": _s(rdv.lieu_id),
        "agent_ids": [str(a) for a in rdv.agent_ids],
        "usager_ids": [str(u) for u in rdv.usager_ids],
        "starts_at": iso(rdv.starts_at, zone),
        "ends_at": iso(rdv.ends_at, zone),
        "status": rdv.status,
        "display_status": display_status(rdv.status, rdv_day=rdv_day, today=today),
        "context": rdv.context,
        "created_at": iso(rdv.created_at, zone),
        "created_by": _s(rdv.created_by),
        "cancelled_at": iso(rdv.cancelled_at, zone) if rdv.cancelled_at else None,
    }


def rdv_event_view(rdv: Rdv, *, zone: str, today: date) -> dict:
    """The RDV in `booking.rdv.*` events: the API's fields plus those of docs/internal.md.

    Without `allowed_statuses`: it depends on the reader's "now", an event keeps its values.
    """
    return {**_fields(rdv, zone=zone, rdv_day=local_day(rdv.starts_at, zone), today=today),
            "service_id": str(rdv.service_id), "origin": rdv.origin, "version": rdv.version,
            "duration_minutes": rdv.duration_minutes}


def changes_view(before: Rdv, after: Rdv, *, zone: str) -> dict[str, list]:
    """`{field: [old, new]}` for every field the API shows that changed."""
    fields = {
        "starts_at": lambda r: iso(r.starts_at, zone),
        "ends_at": lambda r: iso(r.ends_at, zone),
        "duration_minutes": lambda r: r.duration_minutes,
        "lieu_id": lambda r: _s(r.lieu_id),
        "agent_ids": lambda r: [str(a) for a in r.agent_ids],
        "context": lambda r: r.context,
    }
    changes = {}
    for name, get in fields.items():
        old, new = get(before), get(after)
        if old != new:
            changes[name] = [old, new]
    return changes
