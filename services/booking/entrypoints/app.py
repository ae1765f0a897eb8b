"""The booking service's FastAPI app."""
from services.booking.config import BookingSettings
from services.booking.entrypoints.consumers import CONSUMERS
from services.booking.entrypoints.retention import retention_loop
from services.booking.entrypoints.routes import HOT_ROUTES, router
from services.booking.service_layer.unit_of_work import BookingUnitOfWork
from shared.service import ServiceRuntime

runtime = ServiceRuntime("booking", BookingSettings(), consumers=CONSUMERS, background=[retention_loop],
                         unit_of_work=BookingUnitOfWork)
app = runtime.create_app(routers=[router], hot_routes=HOT_ROUTES)
