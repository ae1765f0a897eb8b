"""The usagers service's FastAPI app."""
from services.usagers.config import UsagersSettings
from services.usagers.entrypoints.consumers import consumers
from services.usagers.entrypoints.retention import retention_loop
from services.usagers.entrypoints.routes import router
from services.usagers.service_layer.unit_of_work import UsagersUnitOfWork
from shared.service import ServiceRuntime

runtime = ServiceRuntime("usagers", UsagersSettings(), consumers=consumers(), background=[retention_loop],
                         unit_of_work=UsagersUnitOfWork)
app = runtime.create_app(routers=[router])
