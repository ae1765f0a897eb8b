"""The availability service's FastAPI app."""
from services.availability.config import AvailabilitySettings
from shared.service import ServiceRuntime

runtime = ServiceRuntime("availability", AvailabilitySettings())
app = runtime.create_app()
