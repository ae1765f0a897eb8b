"""The reporting service's FastAPI app: RDV facts projections, statistics and XLSX exports."""
from services.reporting.config import ReportingSettings
from services.reporting.entrypoints.consumers import make_consumers, public_consumer
from services.reporting.entrypoints.routes import router
from services.reporting.entrypoints.worker import export_worker
from services.reporting.service_layer.unit_of_work import ReportingUnitOfWork
from shared.service import ServiceRuntime

settings = ReportingSettings()
# Statistics and exports may trail the writes; /v1/stats says up to when it counts (as_of).
runtime = ServiceRuntime("reporting", settings,
                         consumers=[*make_consumers(batched=settings.consumers_batched), public_consumer()],
                         background=[export_worker], read_after_writes=False, unit_of_work=ReportingUnitOfWork)
app = runtime.create_app(routers=[router])
