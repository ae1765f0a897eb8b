"""Request bodies and query parameters of the booking routes (pydantic, French messages on errors)."""
from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field, field_validator

from services.booking.domain.rdv import STATUSES

Status = Literal["unknown", "seen", "noshow", "excused", "revoked"]


class RdvIn(BaseModel):
    motif_id: uuid.UUID
    lieu_id: uuid.UUID | None = None
    agent_ids: list[uuid.UUID] = Field(min_length=1, max_length=20)
    usager_ids: list[uuid.UUID] = Field(min_length=1, max_length=50)
    starts_at: AwareDatetime
    duration_minutes: int | None = Field(default=None, ge=5, le=480)
    context: str | None = Field(default=None, max_length=5000)


class PublicRdvIn(BaseModel):
    motif_id: uuid.UUID
    lieu_id: uuid.UUID | None = None
    starts_at: AwareDatetime
    usager_id: uuid.UUID


class RdvPatch(BaseModel):
    starts_at: AwareDatetime | None = None
    agent_ids: list[uuid.UUID] | None = Field(default=None, min_length=1, max_length=20)
    lieu_id: uuid.UUID | None = None
    duration_minutes: int | None = Field(default=None, ge=5, le=480)
    context: str | None = Field(default=None, max_length=5000)

    @field_validator("starts_at", "agent_ids", "duration_minutes", mode="before")
    @classmethod
    def _not_null(cls, value):
        if value is None:
            raise ValueError("Ce champ ne peut pas être vide.")
        return value

    def given(self) -> dict:
        return {name: getattr(self, name) for name in self.model_fields_set}


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
    if start and end and end < start:
        from shared.errors import ValidationFailed

        raise ValidationFailed("La fin de la période précède son début.",
                               details={"fields": {"to": "Doit être postérieur ou égal à « from »."}})
