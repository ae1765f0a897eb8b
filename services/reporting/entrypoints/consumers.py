"""The reporting service's durable consumers (names in docs/internal.md)."""
from __future__ import annotations

from services.reporting.service_layer import handlers, public_events
from shared.inbox import Consumer

CONSUMER_NAMES = ("reporting-facts", "reporting-notifications", "reporting-catalog", "reporting-directory",
                  "reporting-usagers")


def make_consumers(*, batched: bool = True) -> list[Consumer]:
    """Fresh consumer specs; `batched` applies a fetched batch in one transaction (throughput)."""
    # The two high-volume ones (every booking, and ~3 notifications per booking) apply a batch with a few
    # bulk statements; under load a fetch waits up to max_wait for the batch to fill (their lag).
    specs = [
        Consumer("reporting-facts", "BOOKING", ["booking.rdv.>"], handlers.on_rdv, batch=500,
                 batch_handler=handlers.on_rdvs, max_wait=0.05),  # facts: lag p95 <= 100 ms
        Consumer("reporting-notifications", "NOTIFICATIONS",
                 ["notifications.message.sent", "notifications.message.failed"], handlers.on_message,
                 batch=500, batch_handler=handlers.on_messages, max_wait=0.2),
        Consumer("reporting-catalog", "AVAILABILITY", ["availability.motif.>", "availability.lieu.>"],
                 handlers.on_catalog),
        Consumer("reporting-directory", "DIRECTORY", ["directory.>"], handlers.on_directory),
        Consumer("reporting-usagers", "USAGERS", ["usagers.usager.>"], handlers.on_usager),
    ]
    for spec in specs:
        spec.batched = batched
        if not batched:
            spec.batch_handler = None
        spec.max_wait = spec.max_wait or 0.02
    return specs


def public_consumer() -> Consumer:
    """The pseudonymised RDV events for outside consumers (docs/consumers.md). Not among the projections
    `rdv reporting rebuild` replays: those events were published once and stay so."""
    public_events.pseudonym_key()  # production refuses to start without RDV_PSEUDONYM_KEY
    # Batched: under load, the events of a fetch go to the outbox in one transaction (one relay round).
    return Consumer("reporting-public", "BOOKING", ["booking.rdv.>"], public_events.on_rdv_public, batch=200,
                    batched=True, max_wait=0.05)
