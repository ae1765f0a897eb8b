"""What the projected rows (plain dicts, as the database holds them) mean for a message: who is reached,
how the RDV reads, and how the reminder schedule changes. Pure functions, no I/O."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Iterable

from services.notifications.domain.model import AgentContact, Contact, RdvView


def contact_of(usager: dict, responsible: dict | None) -> Contact | None:
    """A relative without contacts of their own is reached through their responsible's contacts
    and preferences; one with an email or a phone is reached directly."""
    if usager.get("anonymized"):
        return None
    own = usager.get("email") or usager.get("phone")
    reach = responsible if usager.get("responsible_id") and not own else usager
    if reach is None or reach.get("anonymized"):
        return None
    return Contact(usager_id=usager["id"], first_name=reach["first_name"], last_name=reach["last_name"],
                   email=reach["email"], phone=reach["phone"], notify_by_sms=reach["notify_by_sms"],
                   notify_by_email=reach["notify_by_email"])


def agent_contact(agent: dict) -> AgentContact | None:
    if agent.get("deleted"):
        return None
    return AgentContact(agent_id=agent["id"], first_name=agent["first_name"], last_name=agent["last_name"],
                        email=agent["email"])


def rdv_view(rdv: dict, *, organisation: dict, service: dict, motif: dict, lieu: dict | None,
             usager_names: Iterable[str] = (), agent_names: Iterable[str] = ()) -> RdvView:
    return RdvView(id=rdv["id"], version=int(rdv["version"]), starts_at=rdv["starts_at"], ends_at=rdv["ends_at"],
                   status=rdv["status"], timezone=organisation["timezone"], organisation_name=organisation["name"],
                   service_name=service["name"], service_short_name=service.get("short_name"),
                   motif_name=motif["name"], location_type=motif["location_type"],
                   lieu_name=lieu["name"] if lieu else None, lieu_address=lieu["address"] if lieu else None,
                   lieu_phone=lieu["phone"] if lieu else None, usager_names=tuple(usager_names),
                   agent_names=tuple(agent_names))


def reminder_rows(plans: list[tuple[uuid.UUID, uuid.UUID, datetime | None]], *, current: dict[uuid.UUID, dict],
                  now: datetime) -> list[dict]:
    """Apply (rdv_id, organisation_id, due_at) in order, as one by one, to the `current` reminders of those
    RDVs (read and locked in this transaction): the reminder rows to write."""
    state = dict(current)
    changed: dict[uuid.UUID, dict] = {}
    for rdv_id, organisation_id, due_at in plans:
        current = state.get(rdv_id)
        if due_at is None:
            if not current or current["status"] != "scheduled":
                continue
            new = {**current, "status": "cancelled", "updated_at": now}
        elif current and current["due_at"] == due_at and current["status"] in ("scheduled", "done"):
            continue  # same time: keep it (and never send a done reminder twice)
        else:  # a new time is a new occurrence
            new = {"rdv_id": rdv_id, "organisation_id": current["organisation_id"] if current else organisation_id,
                   "occurrence_id": uuid.uuid4(), "due_at": due_at, "status": "scheduled", "updated_at": now}
        state[rdv_id] = changed[rdv_id] = new
    return list(changed.values())
