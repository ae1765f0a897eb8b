"""The usagers service's durable consumers (names per docs/internal.md)."""
from __future__ import annotations

from services.usagers.service_layer.projections import on_catalog_event, on_rdv_event, on_rdv_events
from shared.inbox import Consumer


def consumers() -> list[Consumer]:
    return [
        # One transaction and a few bulk statements per fetched batch; a fetch waits up to max_wait for
        # the batch to fill (the fiche and scope=service lag by that much more, at most).
        Consumer(name="usagers-rdv", stream="BOOKING", subjects=["booking.rdv.*"], handler=on_rdv_event,
                 batched=True, batch_handler=on_rdv_events, batch=500, max_wait=0.1),
        Consumer(name="usagers-catalog", stream="AVAILABILITY",
                 subjects=["availability.motif.*", "availability.lieu.*"], handler=on_catalog_event),
    ]
