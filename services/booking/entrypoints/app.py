"""The booking service's FastAPI app."""
from services.booking.config import BookingSettings
from services.booking.entrypoints.consumers import CONSUMERS
from services.booking.entrypoints.routes import router
from shared.service import ServiceRuntime

runtime = ServiceRuntime("booking", BookingSettings(), consumers=CONSUMERS)
app = runtime.create_app(routers=[router])
