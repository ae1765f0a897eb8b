"""Commands the booking service accepts (verbs), already parsed and typed."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class BookRdv:
    motif_id: uuid.UUID
    lieu_id: uuid.UUID | None
    agent_ids: tuple[uuid.UUID, ...]
    usager_ids: tuple[uuid.UUID, ...]
    starts_at: datetime
    duration_minutes: int | None = None
    context: str | None = None
    idempotency_key: str | None = None
    # An agent placing it themself: availability's refusals other than slot_taken become warnings.
    allow_outside_opening: bool = False


@dataclass(frozen=True)
class BookPublicRdv:
    motif_id: uuid.UUID
    lieu_id: uuid.UUID | None
    starts_at: datetime
    usager_id: uuid.UUID
    idempotency_key: str | None = None


@dataclass(frozen=True)
class ChangeRdv:
    """Only the fields present in `changes` change (starts_at, agent_ids, lieu_id, duration_minutes, context)."""

    rdv_id: uuid.UUID
    changes: dict = field(default_factory=dict)
    allow_outside_opening: bool = False


@dataclass(frozen=True)
class ChangeRdvStatus:
    rdv_id: uuid.UUID
    status: str
