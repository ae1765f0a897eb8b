"""Public booking (usagers, no authentication)."""
from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field

from gateway.schemas.availability import Body
from gateway.schemas.booking import RdvInstant
from gateway.schemas.common import Open


class PublicCreneau(Open):
    starts_at: datetime
    ends_at: datetime
    lieu_id: uuid.UUID
    motif_id: uuid.UUID


class PublicCreneauxOut(Open):
    items: list[PublicCreneau]
    next_available: datetime | None


class PublicUsager(Body):
    first_name: str = Field(min_length=1, max_length=100)
    last_name: str = Field(min_length=1, max_length=100)
    email: str | None = Field(default=None, max_length=254)
    phone: str = Field(min_length=1, max_length=40)


class PublicRdvIn(Body):
    motif_id: uuid.UUID
    lieu_id: uuid.UUID
    starts_at: RdvInstant
    usager: PublicUsager


class PublicRdvOut(Open):
    id: uuid.UUID
    motif_id: uuid.UUID
    lieu_id: uuid.UUID | None
    starts_at: datetime
    ends_at: datetime
