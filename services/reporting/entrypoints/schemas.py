"""Request bodies and query parameters of the reporting routes (French validation messages)."""
from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from services.reporting.domain.scope import RdvFilters, parse_statuses


class FiltersIn(BaseModel):
    """The filters of `GET /rdvs`."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    agent_id: uuid.UUID | None = None
    service_id: uuid.UUID | None = None
    motif_id: uuid.UUID | None = None
    lieu_id: uuid.UUID | None = None
    usager_id: uuid.UUID | None = None
    status: str | None = None
    from_: date | None = Field(default=None, alias="from")
    to: date | None = None

    @field_validator("status")
    @classmethod
    def _status(cls, value: str | None) -> str | None:
        parse_statuses(value)
        return value

    @field_validator("from_", "to")
    @classmethod
    def _plausible_day(cls, value: date | None) -> date | None:
        # A day far outside any agenda (year 1) would overflow when turned into UTC instants.
        if value is not None and not 1900 <= value.year <= 2200:
            raise ValueError("La date doit être comprise entre 1900 et 2200.")
        return value

    @model_validator(mode="after")
    def _window(self) -> "FiltersIn":
        if self.from_ and self.to and self.from_ > self.to:
            raise ValueError("La date de début doit précéder la date de fin.")
        return self

    def to_domain(self) -> RdvFilters:
        return RdvFilters(agent_id=self.agent_id, service_id=self.service_id, motif_id=self.motif_id,
                          lieu_id=self.lieu_id, usager_id=self.usager_id, statuses=parse_statuses(self.status),
                          from_day=self.from_, to_day=self.to)


class ExportIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    kind: Literal["rdvs"] = "rdvs"
    filters: FiltersIn = Field(default_factory=FiltersIn)


GroupBy = Literal["status", "motif", "service", "agent", "lieu", "location_type", "week", "origin"]
