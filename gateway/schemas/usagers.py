"""Usagers (forwarded to the usagers service)."""
from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from pydantic import Field

from gateway.schemas.availability import Body
from gateway.schemas.common import Bool, Open, day_between

BirthDate = day_between(1900, 2200, "a day, YYYY-MM-DD, not in the future")


class UsagerCreate(Body):
    first_name: str = Field(min_length=1, max_length=100)
    last_name: str = Field(min_length=1, max_length=100)
    birth_name: str | None = Field(default=None, max_length=100)
    birth_date: BirthDate | None = None
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=40)
    address: str | None = Field(default=None, max_length=500)
    notify_by_sms: Bool = True
    notify_by_email: Bool = True
    responsible_id: uuid.UUID | None = None


class UsagerPatch(Body):
    # absent: unchanged; null clears an optional field, and is refused for names and choices
    first_name: str = Field(default=None, min_length=1, max_length=100)
    last_name: str = Field(default=None, min_length=1, max_length=100)
    birth_name: str | None = Field(default=None, max_length=100)
    birth_date: BirthDate | None = None
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=40)
    address: str | None = Field(default=None, max_length=500)
    notify_by_sms: Bool = None
    notify_by_email: Bool = None
    responsible_id: uuid.UUID | None = None


class UsagerOut(Open):
    id: uuid.UUID
    first_name: str
    last_name: str
    birth_name: str | None = None
    birth_date: date | None = None
    email: str | None = None
    phone: str | None = None
    address: str | None = None
    notify_by_sms: Bool = True
    notify_by_email: Bool = True
    responsible_id: uuid.UUID | None = None


class UsagerStats(Open):
    total: int
    seen: int
    noshow: int
    excused: int
    revoked: int
    a_venir: int
    a_renseigner: int


class UsagerFiche(Open):
    usager: UsagerOut
    relatives: list[UsagerOut]
    rdvs_upcoming: list[dict[str, Any]]
    rdvs_past: list[dict[str, Any]]
    stats: UsagerStats
