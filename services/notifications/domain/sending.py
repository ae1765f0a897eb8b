"""What the delivery queue hands to a provider, and how a provider says no (the senders implement `Sender`)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class DeliveryFailed(Exception):
    """The provider did not take the message (down, busy): retry later."""


class DeliveryRefused(DeliveryFailed):
    """The message can never be delivered as it is (unknown recipient, no provider): do not retry."""


@dataclass
class Outgoing:
    channel: str
    to: str
    subject: str | None
    body: str
    html: str | None
    attachments: list[dict]
    message_id: str
    reply_to: str | None = None  # the organisation's address, when it has one


class Sender(Protocol):
    name: str
    local: bool  # True: nothing leaves the system (the dev inbox is the delivery), a send costs nothing;
    # when every sender is local, a delivery round does not read the messages' content (empty in `send`)

    async def send(self, message: Outgoing) -> None: ...
