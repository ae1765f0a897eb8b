"""The usagers service's durable consumers (names per docs/internal.md)."""
from __future__ import annotations

from services.usagers.service_layer import projections
from services.usagers.service_layer.unit_of_work import UsagersUnitOfWork
from shared.db import UnitOfWork
from shared.events import Envelope
from shared.inbox import Consumer


# The inbox opens the transaction (its row of the event commits with the handler's writes): the
# handlers get it with the usagers repositories on it.
async def on_rdv_event(uow: UnitOfWork, envelope: Envelope) -> None:
    await projections.on_rdv_event(UsagersUnitOfWork(uow), envelope)


async def on_rdv_events(uow: UnitOfWork, envelopes: list[Envelope]) -> None:
    await projections.on_rdv_events(UsagersUnitOfWork(uow), envelopes)


async def on_catalog_event(uow: UnitOfWork, envelope: Envelope) -> None:
    await projections.on_catalog_event(UsagersUnitOfWork(uow), envelope)


def consumers() -> list[Consumer]:
    return [
        # One transaction and a few bulk statements per fetched batch; a fetch waits up to max_wait for
        # the batch to fill (the fiche and scope=service lag by that much more, at most).
        Consumer(name="usagers-rdv", stream="BOOKING", subjects=["booking.rdv.*"], handler=on_rdv_event,
                 batched=True, batch_handler=on_rdv_events, batch=500, max_wait=0.1),
        Consumer(name="usagers-catalog", stream="AVAILABILITY",
                 subjects=["availability.motif.*", "availability.lieu.*"], handler=on_catalog_event),
    ]
