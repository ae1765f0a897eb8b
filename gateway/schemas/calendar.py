"""Calendar feeds (« Mon compte ») and webhooks (administration)."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import Field

from gateway.schemas.common import Bool, Input, Open

WebhookEvent = Literal["rdv.created", "rdv.updated", "rdv.cancelled", "rdv.status_changed", "usager.updated"]


class CalendarFeedOut(Open):
    url: str = Field(description="the secret iCalendar URL (…/ics/<token>.ics); anyone who has it reads the feed")
    webcal_url: str = Field(description="the same URL as webcal://, for calendar applications")
    hide_usager_names: bool = Field(description="usagers' names are left out of the feed")


class CalendarFeedPatch(Input):
    hide_usager_names: Bool


class WebhookCreate(Input):
    url: str = Field(min_length=8, max_length=2000, description="https:// (http:// outside production only)")
    events: list[WebhookEvent] = Field(min_length=1, max_length=5)
    pseudonymised: Bool = Field(default=False, description="no names, phones or emails; usager ids pseudonymised")


class WebhookPatch(Input):
    url: str = Field(default=None, min_length=8, max_length=2000)
    events: list[WebhookEvent] = Field(default=None, min_length=1, max_length=5)
    pseudonymised: Bool = None
    active: Bool = Field(default=None, description="true re-enables a webhook disabled after failures")


class WebhookOut(Open):
    id: uuid.UUID
    url: str
    events: list[WebhookEvent]
    pseudonymised: bool
    active: bool
    created_at: datetime
    disabled_at: datetime | None = None


class WebhookCreated(WebhookOut):
    secret: str = Field(description="the HMAC-SHA256 key of X-Rdv-Signature; shown on creation only")


class WebhookDelivery(Open):
    id: uuid.UUID = Field(description="X-Rdv-Delivery: the same on every attempt")
    event: str
    attempt: int
    status_code: int | None = None
    error: str | None = None
    delivered_at: datetime | None = None
    status: Literal["pending", "delivered", "failed"]
    created_at: datetime
    next_attempt_at: datetime | None = None


class WebhookTestOut(Open):
    delivery_id: uuid.UUID
