"""Availability: lieux, motifs, plages, absences, holidays, créneaux, agenda (forwarded to availability)."""
from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import Annotated, Any, Literal, Union

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field

from gateway.schemas.common import Bool, Int, Open, WallTime, not_bool, day_between, no_null_defaults

AgendaDay = day_between(1970, 2200)  # the days availability reasons about
from gateway.schemas.directory import HolidayObservances, HolidayZone  # noqa: F401  (re-exported for routes)

Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
LocationType = Literal["public_office", "phone", "home", "visio"]


class Body(BaseModel):
    """A forwarded body: the contract's fields are checked here, the service checks the rest."""
    model_config = ConfigDict(extra="allow", json_schema_extra=no_null_defaults)


class WeeklyRecurrence(Body):
    every: Literal["week"]
    interval: Int = Field(default=1, ge=1, le=5)
    on: list[Weekday] = Field(min_length=1, max_length=7)
    until: AgendaDay | None = None


class MonthlyRecurrence(Body):
    every: Literal["month"]
    interval: Int = Field(default=1, ge=1, le=5)
    on: dict[Weekday, Annotated[Literal[1, 2, 3, 4, 5, -1], BeforeValidator(not_bool)]] = Field(
        min_length=1, max_length=1, description='one weekday and its rank, e.g. {"tuesday": 2} (2nd Tuesday; -1 = last)')
    until: AgendaDay | None = None


Recurrence = Annotated[Union[WeeklyRecurrence, MonthlyRecurrence], Field(discriminator="every")]


class LieuIn(Body):
    name: str = Field(min_length=1, max_length=200)
    address: str = Field(min_length=1, max_length=500)
    phone: str | None = Field(default=None, max_length=40)


class LieuPatch(Body):
    # absent: unchanged; null is refused for what cannot be emptied (as availability does)
    name: str = Field(default=None, min_length=1, max_length=200)
    address: str = Field(default=None, min_length=1, max_length=500)
    phone: str | None = Field(default=None, max_length=40)


class LieuOut(Open):
    id: uuid.UUID
    name: str
    address: str
    phone: str | None = None


class MotifIn(Body):
    name: str = Field(min_length=1, max_length=200)
    service_id: uuid.UUID
    duration_minutes: Int = Field(ge=5, le=480)
    location_type: LocationType
    color: str | None = Field(default=None, max_length=30)
    reservable_online: Bool = False
    min_booking_delay_minutes: Int = Field(default=30, ge=0, le=525_600)
    max_booking_delay_days: Int = Field(default=90, ge=1, le=3650)


class MotifPatch(Body):
    name: str = Field(default=None, min_length=1, max_length=200)
    service_id: uuid.UUID = None
    duration_minutes: Int = Field(default=None, ge=5, le=480)
    location_type: LocationType = None
    color: str | None = Field(default=None, max_length=30)
    reservable_online: Bool = None
    min_booking_delay_minutes: Int = Field(default=None, ge=0, le=525_600)
    max_booking_delay_days: Int = Field(default=None, ge=1, le=3650)


class MotifOut(Open):
    id: uuid.UUID
    name: str
    service_id: uuid.UUID
    duration_minutes: int
    location_type: LocationType
    color: str | None = None
    reservable_online: bool
    min_booking_delay_minutes: int
    max_booking_delay_days: int


class PlageIn(Body):
    agent_id: uuid.UUID
    lieu_id: uuid.UUID
    motif_ids: list[uuid.UUID] = Field(min_length=1, max_length=100)
    title: str | None = Field(default=None, max_length=200)
    first_day: AgendaDay
    start_time: WallTime
    end_time: WallTime
    recurrence: Recurrence | None = None


class PlagePatch(Body):
    agent_id: uuid.UUID | None = None
    lieu_id: uuid.UUID = None
    motif_ids: list[uuid.UUID] = Field(default=None, min_length=1, max_length=100)
    title: str = Field(default=None, max_length=200)
    first_day: AgendaDay = None
    start_time: WallTime = None
    end_time: WallTime = None
    recurrence: Recurrence | None = None


class PlageOut(Open):
    id: uuid.UUID
    agent_id: uuid.UUID
    lieu_id: uuid.UUID
    motif_ids: list[uuid.UUID]
    title: str | None = None
    first_day: date
    start_time: str
    end_time: str
    recurrence: dict[str, Any] | None = None
    warnings: list[Any] = Field(default_factory=list)


class AbsenceIn(Body):
    agent_id: uuid.UUID
    title: str | None = Field(default=None, max_length=200)
    first_day: AgendaDay
    start_time: WallTime
    end_day: AgendaDay
    end_time: WallTime
    recurrence: Recurrence | None = None


class AbsencePatch(Body):
    agent_id: uuid.UUID | None = None
    title: str = Field(default=None, max_length=200)
    first_day: AgendaDay = None
    start_time: WallTime = None
    end_day: AgendaDay = None
    end_time: WallTime = None
    recurrence: Recurrence | None = None


class AbsenceOut(Open):
    id: uuid.UUID
    agent_id: uuid.UUID
    title: str | None = None
    first_day: date
    start_time: str
    end_day: date
    end_time: str
    recurrence: dict[str, Any] | None = None
    rdvs_in_conflict: list[dict[str, Any]] = Field(default_factory=list)


class JourFerie(Open):
    day: date
    name: str
    statutory: bool = Field(description="false: observed locally, not a statutory public holiday")


class Creneau(Open):
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    agent_id: uuid.UUID
    lieu_id: uuid.UUID
    motif_id: uuid.UUID


class CreneauxOut(Open):
    items: list[Creneau]
    next_available: datetime | None


class ExplainReason(Open):
    code: str
    message: str


class ExplainOut(Open):
    """Why a start is (not) offered: `reasons` in French, `details` with codes and references."""
    free: bool
    reasons: list[str]
    details: list[ExplainReason] = []
    starts_at: datetime | None = None
    ends_at: datetime | None = None


class AgendaOut(Open):
    """Plage occurrences, absence occurrences, holidays and RDVs of one agent in the window."""
