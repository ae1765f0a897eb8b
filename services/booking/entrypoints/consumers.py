"""Event consumers: `booking-catalog` keeps motifs and lieux known from availability's events."""
from __future__ import annotations

from services.booking.service_layer.catalogue import apply_catalogue_event
from shared.events import Envelope
from shared.inbox import Consumer


async def catalogue(uow, envelope: Envelope) -> None:
    await apply_catalogue_event(uow=uow, envelope=envelope)


CONSUMERS = [Consumer(name="booking-catalog", stream="AVAILABILITY",
                      subjects=["availability.motif.>", "availability.lieu.>"], handler=catalogue)]
