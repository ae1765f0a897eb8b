"""What reporting reads of other services' events, as models: each handler validates an event's data into
one of them instead of reading it with `.get`.

Reporting reads loosely on purpose: a field added by a producer never breaks it (extra fields ignored), a
missing optional one leaves a blank cell, and an event without the entity it is about is ignored (logged)
rather than retried; so every field here is optional.
"""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class _Read(BaseModel):
    model_config = ConfigDict(extra="ignore")


class FactRdv(_Read):
    """An RDV of `booking.rdv.*`: the contract's fields and booking's own (docs/internal.md)."""
    id: uuid.UUID | None = None
    organisation_id: uuid.UUID | None = None
    service_id: uuid.UUID | None = None
    motif_id: uuid.UUID | None = None
    lieu_id: uuid.UUID | None = None
    agent_ids: list[uuid.UUID] | None = None
    usager_ids: list[uuid.UUID] | None = None
    origin: str | None = None
    created_by: uuid.UUID | None = None
    created_at: datetime | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    duration_minutes: int | None = None
    status: str | None = None
    context: str | None = None
    cancelled_at: datetime | None = None
    version: int | None = None


class RdvEventData(_Read):
    """`booking.rdv.created|updated|status_changed`."""
    rdv: FactRdv | None = None
    origin: str | None = None
    previous_status: str | None = None


class RdvPurgedData(_Read):
    rdv_id: uuid.UUID | None = None


class MessageSeen(_Read):
    id: uuid.UUID | None = None
    rdv_id: uuid.UUID | None = None
    channel: str | None = None
    kind: str | None = None
    attempt: int | None = None


class MessageData(_Read):
    """`notifications.message.sent|failed`."""
    message: MessageSeen | None = None


class Named(_Read):
    """A directory or catalogue entity: only the fields the reports name things with."""
    id: uuid.UUID | None = None
    name: str | None = None
    slug: str | None = None
    timezone: str | None = None
    short_name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    service_id: uuid.UUID | None = None
    location_type: str | None = None
    address: str | None = None


class EntityData(_Read):
    """`directory.organisation|service|agent.*`, `availability.motif|lieu.*`: the entity under its name."""
    organisation: Named | None = None
    service: Named | None = None
    agent: Named | None = None
    motif: Named | None = None
    lieu: Named | None = None


class UsagerSeen(_Read):
    id: uuid.UUID | None = None
    organisation_id: uuid.UUID | None = None
    first_name: str | None = None
    last_name: str | None = None
    birth_date: Any = None  # read as a day when it is one (see handlers._day)


class UsagerData(_Read):
    """`usagers.usager.*` (`anonymized` carries only `usager_id`)."""
    usager: UsagerSeen | None = None
    usager_id: uuid.UUID | None = None
