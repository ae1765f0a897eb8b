"""The reporting service's FastAPI app."""
from services.reporting.config import ReportingSettings
from shared.service import ServiceRuntime

runtime = ServiceRuntime("reporting", ReportingSettings())
app = runtime.create_app()
