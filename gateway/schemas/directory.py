"""Directory: organisations, services, agents, authentication, audit."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from zoneinfo import available_timezones

from pydantic import Field, WithJsonSchema

from gateway.domain.model import EMAIL_PATTERN
from gateway.domain.passwords import PASSWORD_PATTERN
from gateway.schemas.common import Bool, Input, Open

HolidayZone = Literal["metropole", "alsace-moselle", "guadeloupe", "martinique", "guyane", "la-reunion", "mayotte"]
HolidayObservances = Literal["statutory", "local"]
Role = Literal["basic", "admin"]
Name = Field(min_length=1, max_length=200)
# The server checks these itself (with their own error codes: weak_password, invalid_email,
# invalid_timezone); the schema states the same rules.
Password = Annotated[str, Field(max_length=200), WithJsonSchema({
    "type": "string", "maxLength": 200, "pattern": PASSWORD_PATTERN,
    "description": "12+ characters with a digit, an upper-case letter and a symbol"})]
Email = Annotated[str, Field(min_length=3, max_length=254), WithJsonSchema({
    "type": "string", "minLength": 3, "maxLength": 254, "pattern": EMAIL_PATTERN})]
ContactEmail = Annotated[str, Field(max_length=254), WithJsonSchema({
    "type": "string", "maxLength": 254, "pattern": f"^\\s*$|{EMAIL_PATTERN}"})]
Timezone = Annotated[str, Field(max_length=64), WithJsonSchema({
    "type": "string", "enum": sorted(available_timezones()), "description": "an IANA timezone, e.g. Europe/Paris"})]


class AdminIn(Input):
    email: Email
    first_name: str = Field(min_length=1, max_length=100)
    last_name: str = Field(min_length=1, max_length=100)
    password: Password


class OrganisationCreate(Input):
    name: str = Name
    timezone: Timezone = "Europe/Paris"
    holiday_zone: HolidayZone = "metropole"
    admin: AdminIn


class OrganisationPatch(Input):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    timezone: Timezone | None = None
    holiday_zone: HolidayZone | None = None
    # beyond the contract: statutory holidays only, or also the days observed locally (Guadeloupe, Martinique)
    holiday_observances: HolidayObservances | None = None
    publish_online: Bool | None = None
    # beyond the contract: where replies to the organisation's e-mails go ("" removes it)
    contact_email: ContactEmail | None = None


class OrganisationOut(Open):
    id: uuid.UUID
    name: str
    slug: str
    timezone: str
    holiday_zone: HolidayZone
    holiday_observances: HolidayObservances
    publish_online: bool
    contact_email: str | None = None


class LoginIn(Input):
    email: str = Field(max_length=254)
    password: str = Field(max_length=200)


class AgentOut(Open):
    id: uuid.UUID
    organisation_id: uuid.UUID
    email: str
    first_name: str
    last_name: str
    role: Role
    service_ids: list[uuid.UUID]


class MeOut(AgentOut):
    organisation: OrganisationOut


class LoginOut(Open):
    token: str = Field(description="bearer token (also set as the HttpOnly cookie rdv_session)")
    csrf_token: str = Field(description="send it as X-CSRF-Token (or form field csrf_token) with cookie auth")
    agent: MeOut


class ServiceIn(Input):
    name: str = Name
    short_name: str | None = Field(default=None, max_length=50)


class ServicePatch(Input):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    short_name: str | None = Field(default=None, max_length=50)


class ServiceOut(Open):
    id: uuid.UUID
    organisation_id: uuid.UUID
    name: str
    short_name: str | None


class AgentIn(Input):
    email: Email
    first_name: str = Field(min_length=1, max_length=100)
    last_name: str = Field(min_length=1, max_length=100)
    password: Password
    role: Role = "basic"
    service_ids: list[uuid.UUID] = Field(default_factory=list, max_length=100)


class AgentPatch(Input):
    email: Email | None = None
    first_name: str | None = Field(default=None, min_length=1, max_length=100)
    last_name: str | None = Field(default=None, min_length=1, max_length=100)
    password: Password | None = None
    role: Role | None = None
    service_ids: list[uuid.UUID] | None = Field(default=None, max_length=100)


class AuditEntry(Open):
    id: int
    at: datetime
    organisation_id: uuid.UUID | None
    agent_id: uuid.UUID | None
    method: str
    path: str
    resource_id: str | None
    status: int
    replayed: bool = False
