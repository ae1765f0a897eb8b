"""The notifications service's durable consumers (names per docs/internal.md)."""
from __future__ import annotations

from services.notifications.service_layer.messages import Compose
from services.notifications.service_layer.projections import on_catalog, on_directory, on_usager
from services.notifications.service_layer.rdv_events import make_rdv_batch_handler, make_rdv_handler
from services.notifications.service_layer.webhooks import with_webhooks, with_webhooks_batch
from shared.inbox import Consumer


def consumers(*, compose: Compose) -> list[Consumer]:
    """`compose`: how the messages the RDV events send are written (see `entrypoints.workers.composer`)."""
    return [
        Consumer("notifications-directory", "DIRECTORY", ["directory.>"], on_directory),
        Consumer("notifications-catalog", "AVAILABILITY", ["availability.motif.*", "availability.lieu.*"],
                 on_catalog),
        # Webhooks: the consumers of USAGERS and BOOKING also queue one delivery per (event, webhook), in the
        # same transaction as the event's inbox row.
        Consumer("notifications-usagers", "USAGERS", ["usagers.usager.*"], with_webhooks(on_usager)),
        # Under load, the RDV events of a fetch are applied together (one read and one write per table);
        # a fetch waits at most max_wait for the batch to fill once an event has arrived.
        Consumer("notifications-rdv", "BOOKING", ["booking.rdv.*"],
                 with_webhooks(make_rdv_handler(compose=compose)), batched=True,
                 batch_handler=with_webhooks_batch(make_rdv_batch_handler(compose=compose)),
                 max_wait=0.05),
    ]
