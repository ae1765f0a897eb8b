"""Request bodies and query parameters of the booking routes (pydantic, French messages on errors)."""
from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field, field_validator

from services.booking.domain.rdv import STATUSES

Status = Literal["unknown", "seen", "noshow", "excused", "revoked"]


def _plausible(value):
    """Refuse instants no appointment can have (and that date arithmetic cannot carry)."""
    if value is not None and not 2000 <= value.year <= 2200:
        raise ValueError("La date doit être comprise entre l'an 2000 et l'an 2200.")
    return value


class RdvIn(BaseModel):
    motif_id: uuid.UUID
    lieu_id: uuid.UUID | None = None
    agent_ids: list[uuid.UUID] = Field(min_length=1, max_length=20)
    usager_ids: list[uuid.UUID] = Field(min_length=1, max_length=50)
    starts_at: AwareDatetime
    duration_minutes: int | None = Field(default=None, ge=5, le=480)
    context: str | None = Field(default=None, max_length=5000)
    allow_outside_opening: bool = False

    _starts_at = field_validator("starts_at")(_plausible)


class PublicRdvIn(BaseModel):
    motif_id: uuid.UUID
    lieu_id: uuid.UUID | None = None
    starts_at: AwareDatetime
    usager_id: uuid.UUID

    _starts_at = field_validator("starts_at")(_plausible)


class RdvPatch(BaseModel):
    starts_at: AwareDatetime | None = None
    agent_ids: list[uuid.UUID] | None = Field(default=None, min_length=1, max_length=20)
    lieu_id: uuid.UUID | None = None
    duration_minutes: int | None = Field(default=None, ge=5, le=480)
    context: str | None = Field(default=None, max_length=5000)
    allow_outside_opening: bool = False

    @field_validator("starts_at", "agent_ids", "duration_minutes", "allow_outside_opening", mode="before")
    @classmethod
    def _not_null(cls, value):
        if value is None:
            raise ValueError("Ce champ ne peut pas être vide.")
        return value

    _starts_at = field_validator("starts_at")(_plausible)

    def given(self) -> dict:
        return {name: getattr(self, name) for name in self.model_fields_set if name != "allow_outside_opening"}


class StatusIn(BaseModel):
    status: Status


def parse_statuses(raw: str | None) -> tuple[str, ...]:
    """`status=unknown` or `status=seen,noshow`."""
    if not raw:
        return ()
    values = tuple(dict.fromkeys(v.strip() for v in raw.split(",") if v.strip()))
    unknown = [v for v in values if v not in STATUSES]
    if unknown:
        from shared.errors import ValidationFailed

        raise ValidationFailed(details={"fields": {"status": "Valeur non autorisée."}})
    return values


def check_window(start: date | None, end: date | None) -> None:
    from shared.errors import ValidationFailed

    for name, day in (("from", start), ("to", end)):
        if day is not None and not 1900 <= day.year <= 2200:
            raise ValidationFailed(details={"fields": {name: "La date doit être comprise entre 1900 et 2200."}})
    if start and end and end < start:
        raise ValidationFailed("La fin de la période précède son début.",
                               details={"fields": {"to": "Doit être postérieur ou égal à « from »."}})
