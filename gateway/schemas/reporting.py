"""Reporting: statistics and exports (forwarded to reporting)."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from gateway.schemas.availability import Body
from gateway.schemas.common import Open, day_between, status_list_pattern

ReportDay = day_between(1900, 2200)

GroupBy = Literal["status", "motif", "service", "agent", "lieu", "location_type", "week", "origin"]


class StatsGroup(Open):
    key: str | None
    label: str | None
    count: int
    by_status: dict[str, int]


class StatsOut(Open):
    total: int
    by_status: dict[str, int]
    groups: list[StatsGroup]


class ExportFilters(Body):
    agent_id: uuid.UUID | None = None
    service_id: uuid.UUID | None = None
    motif_id: uuid.UUID | None = None
    lieu_id: uuid.UUID | None = None
    usager_id: uuid.UUID | None = None
    status: str | None = Field(default=None, max_length=200, pattern=status_list_pattern(
        ("unknown", "seen", "noshow", "excused", "revoked", "a_venir", "a_renseigner")))
    from_: ReportDay | None = Field(default=None, alias="from")
    to: ReportDay | None = None


class ExportCreate(Body):
    kind: Literal["rdvs"] = "rdvs"
    filters: ExportFilters = Field(default_factory=ExportFilters)


class ExportOut(Open):
    id: uuid.UUID
    kind: str | None = None
    status: Literal["pending", "running", "done", "failed"]
    progress: int | None = None
    rows: int | None = None
    filename: str | None = None
    created_at: datetime | None = None
    expires_at: datetime | None = None


class ExportAccepted(Open):
    id: uuid.UUID
    status: Literal["pending", "running", "done", "failed"]
    details: dict[str, Any] | None = None
