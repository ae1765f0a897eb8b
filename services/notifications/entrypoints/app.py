"""The notifications service's FastAPI app: four consumers, three background loops, its routes and webhooks'."""
from services.notifications.config import NotificationsSettings
from services.notifications.entrypoints.consumers import consumers as make_consumers
from services.notifications.entrypoints.routes import router
from services.notifications.entrypoints.webhook_routes import router as webhook_router
from services.notifications.entrypoints.workers import (build_senders, composer, delivery_loop, reminder_loop,
                                                       webhook_loop)
from services.notifications.service_layer.unit_of_work import NotificationsUnitOfWork
from shared.service import ServiceRuntime

settings = NotificationsSettings()
consumers = make_consumers(compose=composer(settings))

# Its reads (an RDV's messages, the dev inbox) need not wait for the positions of writes (shared.consistency).
runtime = ServiceRuntime("notifications", settings, consumers=consumers,
                         background=[delivery_loop(build_senders(settings)), reminder_loop, webhook_loop],
                         read_after_writes=False, unit_of_work=NotificationsUnitOfWork)
app = runtime.create_app(routers=[router, webhook_router])
