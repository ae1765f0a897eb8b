"""Booking: RDVs and their notifications (forwarded to booking / notifications)."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import Field

from gateway.schemas.availability import Body
from gateway.schemas.common import Bool, Int, Open, instant_between, status_list_pattern

RdvInstant = instant_between(2000, 2200, "an instant, ISO 8601 with its offset (an RDV lies in 2000..2200)")

Status = Literal["unknown", "seen", "noshow", "excused", "revoked"]
STATUS_FILTER_PATTERN = status_list_pattern(("unknown", "seen", "noshow", "excused", "revoked"))
DisplayStatus = Literal["a_venir", "a_renseigner", "seen", "noshow", "excused", "revoked"]


class RdvCreate(Body):
    motif_id: uuid.UUID
    lieu_id: uuid.UUID | None = None
    agent_ids: list[uuid.UUID] = Field(min_length=1, max_length=20)
    usager_ids: list[uuid.UUID] = Field(min_length=1, max_length=50)
    starts_at: RdvInstant
    duration_minutes: Int | None = Field(default=None, ge=5, le=480)
    context: str | None = Field(default=None, max_length=5000)
    allow_outside_opening: Bool = Field(default=False, description=(
        "an agent placing it themself: outside_opening, agent_absent and holiday become `warnings`"))


class RdvPatch(Body):
    # absent: unchanged; null is refused but for lieu_id and context (as booking does)
    starts_at: RdvInstant = None
    agent_ids: list[uuid.UUID] = Field(default=None, min_length=1, max_length=20)
    lieu_id: uuid.UUID | None = None
    duration_minutes: Int = Field(default=None, ge=5, le=480)
    context: str | None = Field(default=None, max_length=5000)
    allow_outside_opening: Bool = Field(default=False, description="as on create, for a move")


class RdvStatusIn(Body):
    status: Status


class RdvOut(Open):
    id: uuid.UUID
    organisation_id: uuid.UUID
    motif_id: uuid.UUID
    lieu_id: uuid.UUID | None
    agent_ids: list[uuid.UUID]
    usager_ids: list[uuid.UUID]
    starts_at: datetime
    ends_at: datetime
    status: Status
    display_status: DisplayStatus
    allowed_statuses: list[Status] = Field(description="what POST .../status accepts now from the caller")
    context: str | None = None
    created_at: datetime
    created_by: uuid.UUID | None = None
    cancelled_at: datetime | None = None


class RdvWritten(RdvOut):
    """A created or changed RDV, with the refusals `allow_outside_opening` overrode."""
    warnings: list[Literal["outside_opening", "agent_absent", "holiday"]] = Field(default_factory=list)


class NotificationOut(Open):
    channel: Literal["sms", "email"]
    kind: Literal["confirmation", "change", "cancellation", "reminder"]
    recipient: str
    status: Literal["pending", "sent", "failed"]
    sent_at: datetime | None = None


class DevMessage(Open):
    channel: Literal["sms", "email"]
    to: str
    subject: str | None = None
    body: str
    attachments: list[str] = Field(default_factory=list)
    rdv_id: uuid.UUID | None = None
    kind: str | None = None
    created_at: datetime
