"""What notifications reads of other services' events, as models: each handler validates an event's data
into one of them (extra fields ignored, a missing required one refused) instead of reading it with `.get`.

They list only what a message needs, with the defaults the projections keep when a producer leaves a
field out (an organisation's timezone, a motif's location type).
"""
from __future__ import annotations

import uuid
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict


class _Read(BaseModel):
    model_config = ConfigDict(extra="ignore")


class OrganisationSeen(_Read):
    id: uuid.UUID
    name: str | None = None
    timezone: str | None = None
    contact_email: str | None = None


class ServiceSeen(_Read):
    id: uuid.UUID
    name: str | None = None
    short_name: str | None = None


class AgentSeen(_Read):
    id: uuid.UUID
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    role: str | None = None


class MotifSeen(_Read):
    id: uuid.UUID
    name: str | None = None
    service_id: uuid.UUID
    location_type: str | None = None


class LieuSeen(_Read):
    id: uuid.UUID
    name: str | None = None
    address: str | None = None
    phone: str | None = None


class UsagerSeen(_Read):
    id: uuid.UUID
    organisation_id: uuid.UUID | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    notify_by_sms: bool | None = True
    notify_by_email: bool | None = True
    responsible_id: uuid.UUID | None = None


class DirectoryData(_Read):
    """`directory.organisation|service|agent.*`: one of them."""
    organisation: OrganisationSeen | None = None
    service: ServiceSeen | None = None
    agent: AgentSeen | None = None


class CatalogData(_Read):
    """`availability.motif|lieu.*`: one of them."""
    motif: MotifSeen | None = None
    lieu: LieuSeen | None = None


class UsagerData(_Read):
    usager: UsagerSeen


class UsagerAnonymizedData(_Read):
    usager_id: uuid.UUID


class BookedRdv(_Read):
    """An RDV of `booking.rdv.*`: the contract's fields and booking's `version` (docs/internal.md)."""
    id: uuid.UUID
    organisation_id: uuid.UUID | None = None
    version: int | None = None
    motif_id: uuid.UUID
    lieu_id: uuid.UUID | None = None
    agent_ids: list[uuid.UUID] = []
    usager_ids: list[uuid.UUID] = []
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    status: str | None = None


class RdvEventData(_Read):
    """`booking.rdv.created|updated|status_changed`."""
    rdv: BookedRdv
    previous_status: str | None = None
    changes: dict[str, Any] = {}


class RdvPurgedData(_Read):
    rdv_id: uuid.UUID
