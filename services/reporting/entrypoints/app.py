"""The reporting service's FastAPI app: RDV facts projections, statistics and XLSX exports."""
from services.reporting.config import ReportingSettings
from services.reporting.entrypoints.consumers import make_consumers
from services.reporting.entrypoints.routes import router
from services.reporting.entrypoints.worker import export_worker
from shared.service import ServiceRuntime

settings = ReportingSettings()
runtime = ServiceRuntime("reporting", settings, consumers=make_consumers(batched=settings.consumers_batched),
                         background=[export_worker])
app = runtime.create_app(routers=[router])
