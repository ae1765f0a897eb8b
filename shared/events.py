"""The event envelope and the catalogue of contract v1 (../shared/contract/events.md).

Typed at both ends: a producer builds the event's data model of the catalogue
(`new_event("booking.rdv.created", ..., data=RdvCreatedData(rdv=..., origin="agent"))`), a consumer
validates the data into it (`envelope.data_as(RdvCreatedData)`); every model tolerates extra fields.
Add fields freely; never rename or remove one within a version.
"""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, create_model

from shared import clock

STREAMS: dict[str, str] = {
    "DIRECTORY": "directory.>",
    "AVAILABILITY": "availability.>",
    "BOOKING": "booking.>",
    "USAGERS": "usagers.>",
    "NOTIFICATIONS": "notifications.>",
    "REPORTING": "reporting.>",
    "DEADLETTER": "deadletter.>",
}


class Actor(BaseModel):
    kind: Literal["agent", "usager", "system"] = "system"
    id: uuid.UUID | None = None


class Envelope(BaseModel):
    """The JSON body of every message; `id` is also the `Nats-Msg-Id` header."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4)
    type: str
    version: int = 1
    occurred_at: datetime = Field(default_factory=clock.now)
    organisation_id: uuid.UUID | None = None
    actor: Actor = Field(default_factory=Actor)
    data: dict[str, Any] = Field(default_factory=dict)
    # W3C trace context of the request that caused it; sent as the `traceparent` header.
    traceparent: str | None = Field(default=None, exclude=True)

    @property
    def subject(self) -> str:
        return self.type

    def to_json(self) -> bytes:
        return self.model_dump_json().encode()

    def data_as(self, model: type[D]) -> D:
        """The data validated into its catalogue model (extra fields kept, a missing one refused)."""
        return model.model_validate(self.data)


D = TypeVar("D", bound=BaseModel)


def new_event(type: str, *, organisation_id: uuid.UUID | str | None, data: BaseModel | dict[str, Any],
              actor: Actor | dict | None = None, traceparent: str | None = None) -> Envelope:
    """The envelope of a catalogue event; `data` is the type's data model (a dict is still taken, unchecked,
    while producers move to the models). The model's fields go on the wire as given (unset defaults left out)."""
    model = CATALOGUE.get(type)
    if model is None:
        raise ValueError(f"unknown event type {type}")
    if isinstance(data, BaseModel):
        if not isinstance(data, model):
            raise TypeError(f"{type} carries {model.__name__}, not {data.__class__.__name__}")
        data = data.model_dump(mode="json", exclude_unset=True)
    if isinstance(actor, dict):
        actor = Actor(**actor)
    return Envelope(type=type, organisation_id=organisation_id, data=data,
                    actor=actor or Actor(), traceparent=traceparent)


# ---- catalogue: data models (producers build them, consumers validate into them, AsyncAPI documents them) ----

class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


# An instant on the wire as the producer wrote it: ISO 8601 with its own offset (the organisation's),
# where pydantic would write UTC as "Z".
Instant = Annotated[datetime, PlainSerializer(lambda value: value.isoformat(), return_type=str, when_used="json")]


class Organisation(_Open):
    id: uuid.UUID
    name: str
    slug: str
    timezone: str
    holiday_zone: str
    holiday_observances: Literal["statutory", "local"] = "local"  # beyond the contract
    contact_email: str | None = None  # beyond the contract: Reply-To of its e-mails
    publish_online: bool


class Service(_Open):
    id: uuid.UUID
    name: str
    short_name: str | None = None


class Agent(_Open):
    id: uuid.UUID
    email: str
    first_name: str
    last_name: str
    role: Literal["basic", "admin"]
    service_ids: list[uuid.UUID]


class Lieu(_Open):
    id: uuid.UUID
    name: str
    address: str
    phone: str | None = None


class Motif(_Open):
    id: uuid.UUID
    name: str
    service_id: uuid.UUID
    duration_minutes: int
    location_type: str
    color: str | None = None
    reservable_online: bool
    min_booking_delay_minutes: int
    max_booking_delay_days: int


class Plage(_Open):
    id: uuid.UUID
    agent_id: uuid.UUID
    lieu_id: uuid.UUID
    motif_ids: list[uuid.UUID]
    title: str
    first_day: str
    start_time: str
    end_time: str
    recurrence: dict | None


class Absence(_Open):
    id: uuid.UUID
    agent_id: uuid.UUID
    title: str
    first_day: str
    start_time: str
    end_day: str
    end_time: str
    recurrence: dict | None


class Rdv(_Open):
    id: uuid.UUID
    organisation_id: uuid.UUID
    motif_id: uuid.UUID
    lieu_id: uuid.UUID | None
    agent_ids: list[uuid.UUID]
    usager_ids: list[uuid.UUID]
    starts_at: Instant
    ends_at: Instant
    status: str
    context: str | None = None
    created_at: Instant
    created_by: uuid.UUID | None = None
    cancelled_at: Instant | None = None
    version: int = Field(default=0, description="1 at creation, +1 at each change: a consumer keeps the highest")


class PublicRdv(_Open):
    """An RDV as outside consumers get it (reporting.rdv.*): no free text, no author, usagers pseudonymised."""
    id: uuid.UUID
    organisation_id: uuid.UUID
    motif_id: uuid.UUID
    lieu_id: uuid.UUID | None
    agent_ids: list[uuid.UUID]
    usager_pseudonyms: list[uuid.UUID] = Field(
        description="HMAC-SHA256 of each usager id under the site's key, as a UUID: stable, not reversible")
    starts_at: Instant
    ends_at: Instant
    status: str
    created_at: Instant
    cancelled_at: Instant | None = None


class Usager(_Open):
    id: uuid.UUID
    first_name: str
    last_name: str
    birth_date: str | None = None
    email: str | None = None
    phone: str | None = None
    notify_by_sms: bool = True
    notify_by_email: bool = True
    responsible_id: uuid.UUID | None = None


class Message(_Open):
    id: uuid.UUID
    rdv_id: uuid.UUID | None
    usager_id: uuid.UUID | None = None
    agent_id: uuid.UUID | None = None
    channel: Literal["sms", "email"]
    kind: str
    recipient_masked: str
    attempt: int


class Export(_Open):
    id: uuid.UUID
    agent_id: uuid.UUID
    kind: str
    rows: int | None = None
    filename: str | None = None


def _data(name: str, **fields: Any) -> type[BaseModel]:
    return create_model(name, __base__=_Open, **fields)


OrganisationData = _data("OrganisationData", organisation=(Organisation, ...))
ServiceData = _data("ServiceData", service=(Service, ...))
AgentData = _data("AgentData", agent=(Agent, ...))
LieuData = _data("LieuData", lieu=(Lieu, ...))
MotifData = _data("MotifData", motif=(Motif, ...))
PlageData = _data("PlageData", plage=(Plage, ...))
AbsenceData = _data("AbsenceData", absence=(Absence, ...), rdv_ids_in_conflict=(list[uuid.UUID], []))
RdvCreatedData = _data("RdvCreatedData", rdv=(Rdv, ...), origin=(Literal["agent", "usager"], "agent"))
RdvUpdatedData = _data("RdvUpdatedData", rdv=(Rdv, ...), changes=(dict[str, list[Any]], {}))
RdvStatusChangedData = _data("RdvStatusChangedData", rdv=(Rdv, ...), previous_status=(str, ...))
# Retention (RGPD): an RDV past its keeping period was deleted with its history; consumers drop what they hold of it.
RdvPurgedData = _data("RdvPurgedData", rdv_id=(uuid.UUID, ...), usager_ids=(list[uuid.UUID], []),
                      agent_ids=(list[uuid.UUID], []), ends_at=(Instant | None, None))
# The pseudonymised RDV events (reporting, for outside consumers: docs/consumers.md).
PublicRdvData = _data("PublicRdvData", rdv=(PublicRdv, ...), origin=(Literal["agent", "usager"] | None, None),
                      previous_status=(str | None, None), changes=(dict[str, list[Any]], {}))
PublicRdvPurgedData = _data("PublicRdvPurgedData", rdv_id=(uuid.UUID, ...), ends_at=(Instant | None, None),
                            usager_pseudonyms=(list[uuid.UUID], []))
UsagerData = _data("UsagerData", usager=(Usager, ...))
UsagerAnonymizedData = _data("UsagerAnonymizedData", usager_id=(uuid.UUID, ...))
MessageData = _data("MessageData", message=(Message, ...))
ExportData = _data("ExportData", export=(Export, ...))

CATALOGUE: dict[str, type[BaseModel]] = {}
for _aggregate, _model, _verbs in [
    ("directory.organisation", OrganisationData, ("created", "updated")),
    ("directory.service", ServiceData, ("created", "updated", "deleted")),
    ("directory.agent", AgentData, ("created", "updated", "deleted")),
    ("availability.lieu", LieuData, ("created", "updated", "deleted")),
    ("availability.motif", MotifData, ("created", "updated", "deleted")),
    ("availability.plage", PlageData, ("created", "updated", "deleted")),
    ("availability.absence", AbsenceData, ("created", "updated", "deleted")),
    ("booking.rdv", RdvCreatedData, ("created",)),
    ("booking.rdv", RdvUpdatedData, ("updated",)),
    ("booking.rdv", RdvStatusChangedData, ("status_changed",)),
    ("booking.rdv", RdvPurgedData, ("purged",)),
    ("usagers.usager", UsagerData, ("created", "updated")),
    ("usagers.usager", UsagerAnonymizedData, ("anonymized",)),
    ("notifications.message", MessageData, ("sent", "failed")),
    ("reporting.export", ExportData, ("ready", "failed")),
    ("reporting.rdv", PublicRdvData, ("created", "updated", "status_changed")),
    ("reporting.rdv", PublicRdvPurgedData, ("purged",)),
]:
    for _verb in _verbs:
        CATALOGUE[f"{_aggregate}.{_verb}"] = _model


def stream_of(subject: str) -> str:
    prefix = subject.split(".", 1)[0]
    for stream, pattern in STREAMS.items():
        if pattern.split(".", 1)[0] == prefix:
            return stream
    raise ValueError(f"no stream for {subject}")
