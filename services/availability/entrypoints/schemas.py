"""Request bodies (pydantic): types and bounds; the domain checks the rules."""
from __future__ import annotations

import uuid
from datetime import date, time
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

LocationType = Literal["public_office", "phone", "home", "visio"]


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore")

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True)


def _wall_time(value: time | None) -> time | None:
    if value is not None and (value.second or value.microsecond or value.tzinfo):
        raise ValueError("Une heure HH:MM est attendue.")
    return value


class LieuIn(_Body):
    name: str = Field(min_length=1, max_length=200)
    address: str = Field(min_length=1, max_length=500)
    phone: str | None = Field(default=None, max_length=40)


class LieuPatch(_Body):
    name: str = Field(default=None, min_length=1, max_length=200)  # type: ignore[assignment]
    address: str = Field(default=None, min_length=1, max_length=500)  # type: ignore[assignment]
    phone: str | None = Field(default=None, max_length=40)


class MotifIn(_Body):
    name: str = Field(min_length=1, max_length=200)
    service_id: uuid.UUID
    duration_minutes: int = Field(ge=5, le=480)
    location_type: LocationType
    color: str | None = Field(default=None, max_length=30)
    reservable_online: bool = False
    min_booking_delay_minutes: int = Field(default=30, ge=0, le=525_600)
    max_booking_delay_days: int = Field(default=90, ge=1, le=3650)


class MotifPatch(_Body):
    name: str = Field(default=None, min_length=1, max_length=200)  # type: ignore[assignment]
    service_id: uuid.UUID = None  # type: ignore[assignment]
    duration_minutes: int = Field(default=None, ge=5, le=480)  # type: ignore[assignment]
    location_type: LocationType = None  # type: ignore[assignment]
    color: str | None = Field(default=None, max_length=30)
    reservable_online: bool = None  # type: ignore[assignment]
    min_booking_delay_minutes: int = Field(default=None, ge=0, le=525_600)  # type: ignore[assignment]
    max_booking_delay_days: int = Field(default=None, ge=1, le=3650)  # type: ignore[assignment]

    def changes(self) -> dict[str, Any]:
        # Only `color` may be cleared; null for the others means "unchanged".
        return {k: v for k, v in super().changes().items() if v is not None or k == "color"}


class PlageIn(_Body):
    agent_id: uuid.UUID | None = None
    lieu_id: uuid.UUID
    motif_ids: list[uuid.UUID] = Field(min_length=1, max_length=100)
    title: str | None = Field(default=None, max_length=200, validate_default=True)
    first_day: date
    start_time: time
    end_time: time
    recurrence: dict[str, Any] | None = None

    _times = field_validator("start_time", "end_time")(_wall_time)

    @field_validator("title")
    @classmethod
    def _title(cls, value: str | None) -> str:
        return value or "Plage d'ouverture"


class PlagePatch(_Body):
    agent_id: uuid.UUID | None = None
    lieu_id: uuid.UUID = None  # type: ignore[assignment]
    motif_ids: list[uuid.UUID] = Field(default=None, min_length=1, max_length=100)  # type: ignore[assignment]
    title: str = Field(default=None, max_length=200)  # type: ignore[assignment]
    first_day: date = None  # type: ignore[assignment]
    start_time: time = None  # type: ignore[assignment]
    end_time: time = None  # type: ignore[assignment]
    recurrence: dict[str, Any] | None = None

    _times = field_validator("start_time", "end_time")(_wall_time)

    def changes(self) -> dict[str, Any]:
        return {k: v for k, v in super().changes().items() if v is not None or k == "recurrence"}


class AbsenceIn(_Body):
    agent_id: uuid.UUID | None = None
    title: str | None = Field(default=None, max_length=200, validate_default=True)
    first_day: date
    start_time: time = time(0)
    end_day: date | None = None
    end_time: time
    recurrence: dict[str, Any] | None = None

    _times = field_validator("start_time", "end_time")(_wall_time)

    @field_validator("title")
    @classmethod
    def _title(cls, value: str | None) -> str:
        return value or "Indisponibilité"


class AbsencePatch(_Body):
    agent_id: uuid.UUID | None = None
    title: str = Field(default=None, max_length=200)  # type: ignore[assignment]
    first_day: date = None  # type: ignore[assignment]
    start_time: time = None  # type: ignore[assignment]
    end_day: date = None  # type: ignore[assignment]
    end_time: time = None  # type: ignore[assignment]
    recurrence: dict[str, Any] | None = None

    _times = field_validator("start_time", "end_time")(_wall_time)

    def changes(self) -> dict[str, Any]:
        return {k: v for k, v in super().changes().items() if v is not None or k == "recurrence"}


class CheckIn(_Body):
    agent_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50)
    lieu_id: uuid.UUID | None = None
    motif_id: uuid.UUID
    starts_at: AwareDatetime
    duration_minutes: int | None = Field(default=None, ge=1, le=24 * 60)
    public: bool = False
    all_reasons: bool = False  # answer `reasons`: every refusal of every agent, not only the first
