"""The notifications service's FastAPI app: four consumers, two background loops, two routes."""
from services.notifications.config import NotificationsSettings
from services.notifications.entrypoints.routes import router
from services.notifications.entrypoints.workers import build_senders, delivery_loop, reminder_loop
from services.notifications.service_layer.projections import on_catalog, on_directory, on_usager
from services.notifications.service_layer.rdv_events import make_rdv_batch_handler, make_rdv_handler
from shared.inbox import Consumer
from shared.service import ServiceRuntime

settings = NotificationsSettings()

consumers = [
    Consumer("notifications-directory", "DIRECTORY", ["directory.>"], on_directory),
    Consumer("notifications-catalog", "AVAILABILITY", ["availability.motif.*", "availability.lieu.*"], on_catalog),
    Consumer("notifications-usagers", "USAGERS", ["usagers.usager.*"], on_usager),
    # Under load, the RDV events of a fetch are applied together (one read and one write per table);
    # a fetch waits at most max_wait for the batch to fill once an event has arrived.
    Consumer("notifications-rdv", "BOOKING", ["booking.rdv.*"], make_rdv_handler(sender=settings.smtp_from),
             batched=True, batch_handler=make_rdv_batch_handler(sender=settings.smtp_from), max_wait=0.05),
]

# Its reads (an RDV's messages, the dev inbox) need not wait for the positions of writes (shared.consistency).
runtime = ServiceRuntime("notifications", settings, consumers=consumers,
                         background=[delivery_loop(build_senders(settings)), reminder_loop], read_after_writes=False)
app = runtime.create_app(routers=[router])
