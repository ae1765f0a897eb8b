"""The usagers service's durable consumers (names per docs/internal.md)."""
from __future__ import annotations

from services.usagers.service_layer.projections import on_catalog_event, on_rdv_event
from shared.inbox import Consumer


def consumers() -> list[Consumer]:
    return [
        Consumer(name="usagers-rdv", stream="BOOKING", subjects=["booking.rdv.*"], handler=on_rdv_event),
        Consumer(name="usagers-catalog", stream="AVAILABILITY",
                 subjects=["availability.motif.*", "availability.lieu.*"], handler=on_catalog_event),
    ]
