"""What a notification is about: contacts, the RDV as the service sees it, messages to produce."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

CHANNELS = ("sms", "email")
KINDS = ("confirmation", "change", "cancellation", "reminder")
CANCELLED_STATUSES = ("excused", "revoked")
LOCATION_LABELS = {"phone": "RDV téléphonique", "home": "RDV à domicile", "visio": "RDV en visio"}


@dataclass(frozen=True)
class Contact:
    """Where and how one usager (or their responsible, for a relative) is reached."""

    usager_id: uuid.UUID
    first_name: str
    last_name: str
    email: str | None
    phone: str | None
    notify_by_sms: bool
    notify_by_email: bool


@dataclass(frozen=True)
class AgentContact:
    agent_id: uuid.UUID
    first_name: str
    last_name: str
    email: str | None


@dataclass(frozen=True)
class RdvView:
    """Everything a message about one RDV says."""

    id: uuid.UUID
    version: int
    starts_at: datetime
    ends_at: datetime
    status: str
    timezone: str
    organisation_name: str
    service_name: str
    service_short_name: str | None
    motif_name: str
    location_type: str
    lieu_name: str | None
    lieu_address: str | None
    lieu_phone: str | None
    usager_names: tuple[str, ...] = ()
    agent_names: tuple[str, ...] = ()

    @property
    def place(self) -> str:
        """The lieu's address, or what replaces it for a phone, home or visio RDV."""
        if self.location_type in LOCATION_LABELS:
            return LOCATION_LABELS[self.location_type]
        if self.lieu_address:
            return self.lieu_address
        return self.lieu_name or ""


@dataclass(frozen=True)
class Recipient:
    """One addressee of a message: an usager (through their contact) or an agent."""

    channel: str
    address: str
    usager_id: uuid.UUID | None = None
    agent_id: uuid.UUID | None = None
    name: str = ""


@dataclass
class Plan:
    """Messages to produce for one cause, and what happens to the reminder."""

    usager_kind: str | None = None
    agent_kinds: dict[uuid.UUID, str] = field(default_factory=dict)
    reminder: str = "keep"  # keep | schedule | cancel


@dataclass
class Content:
    """What one message says: an email's subject, text, HTML and attachments; an SMS's text."""

    subject: str | None
    body: str
    html: str | None = None
    attachments: list[dict] = field(default_factory=list)  # [{filename, content_type, content}]
