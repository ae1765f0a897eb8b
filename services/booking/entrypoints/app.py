"""The booking service's FastAPI app."""
from services.booking.config import BookingSettings
from shared.service import ServiceRuntime

runtime = ServiceRuntime("booking", BookingSettings())
app = runtime.create_app()
