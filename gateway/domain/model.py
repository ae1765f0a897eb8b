"""Directory values: organisations, services, agents, and the caller (principal)."""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field

HOLIDAY_ZONES = ("metropole", "alsace-moselle", "guadeloupe", "martinique", "guyane", "la-reunion", "mayotte")
ROLES = ("basic", "admin")
EMAIL_PATTERN = r"^\s*[^@\s]+@[^@\s]+\.[^@\s.]+\s*$"  # before normalise_email strips the spaces
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


def normalise_email(email: str) -> str:
    return email.strip().lower()


def is_valid_email(email: str) -> bool:
    return bool(_EMAIL.match(email)) and len(email) <= 254


@dataclass(frozen=True)
class Organisation:
    id: uuid.UUID
    name: str
    slug: str
    timezone: str
    holiday_zone: str
    publish_online: bool
    holiday_observances: str = "local"  # statutory | local: local-only days close agendas too
    contact_email: str | None = None  # where replies to its e-mails go (Reply-To)

    def as_dict(self) -> dict:
        return {"id": str(self.id), "name": self.name, "slug": self.slug, "timezone": self.timezone,
                "holiday_zone": self.holiday_zone, "holiday_observances": self.holiday_observances,
                "publish_online": self.publish_online, "contact_email": self.contact_email}


@dataclass(frozen=True)
class Agent:
    id: uuid.UUID
    organisation_id: uuid.UUID
    email: str
    first_name: str
    last_name: str
    role: str
    service_ids: tuple[uuid.UUID, ...] = field(default_factory=tuple)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def as_dict(self) -> dict:
        return {"id": str(self.id), "organisation_id": str(self.organisation_id), "email": self.email,
                "first_name": self.first_name, "last_name": self.last_name, "role": self.role,
                "service_ids": [str(s) for s in self.service_ids]}

    def event_dict(self) -> dict:
        """The contract's `directory.agent.*` payload (plus organisation_id)."""
        return self.as_dict()


@dataclass(frozen=True)
class Principal:
    """The authenticated caller of one request: an agent, its organisation and its session."""

    agent: Agent
    organisation: Organisation
    session_id: uuid.UUID
    csrf_token: str
    via_cookie: bool
    # the organisation's read positions when the request started (reads after writes)
    positions: dict = field(default_factory=dict)

    @property
    def is_admin(self) -> bool:
        return self.agent.is_admin
