"""The notifications service's FastAPI app: four consumers, three background loops, its routes and webhooks'."""
from services.notifications.config import NotificationsSettings
from services.notifications.entrypoints.routes import router
from services.notifications.entrypoints.webhook_routes import router as webhook_router
from services.notifications.entrypoints.workers import build_senders, delivery_loop, reminder_loop, webhook_loop
from services.notifications.service_layer.projections import on_catalog, on_directory, on_usager
from services.notifications.service_layer.rdv_events import make_rdv_batch_handler, make_rdv_handler
from services.notifications.service_layer.webhooks import with_webhooks, with_webhooks_batch
from shared.inbox import Consumer
from shared.service import ServiceRuntime

settings = NotificationsSettings()

consumers = [
    Consumer("notifications-directory", "DIRECTORY", ["directory.>"], on_directory),
    Consumer("notifications-catalog", "AVAILABILITY", ["availability.motif.*", "availability.lieu.*"], on_catalog),
    # Webhooks: the consumers of USAGERS and BOOKING also queue one delivery per (event, webhook), in the
    # same transaction as the event's inbox row.
    Consumer("notifications-usagers", "USAGERS", ["usagers.usager.*"], with_webhooks(on_usager)),
    # Under load, the RDV events of a fetch are applied together (one read and one write per table);
    # a fetch waits at most max_wait for the batch to fill once an event has arrived.
    Consumer("notifications-rdv", "BOOKING", ["booking.rdv.*"], with_webhooks(make_rdv_handler(sender=settings.smtp_from)),
             batched=True, batch_handler=with_webhooks_batch(make_rdv_batch_handler(sender=settings.smtp_from)),
             max_wait=0.05),
]

# Its reads (an RDV's messages, the dev inbox) need not wait for the positions of writes (shared.consistency).
runtime = ServiceRuntime("notifications", settings, consumers=consumers,
                         background=[delivery_loop(build_senders(settings)), reminder_loop, webhook_loop],
                         read_after_writes=False)
app = runtime.create_app(routers=[router, webhook_router])
