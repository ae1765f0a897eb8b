"""The usagers service's FastAPI app."""
from services.usagers.config import UsagersSettings
from shared.service import ServiceRuntime

runtime = ServiceRuntime("usagers", UsagersSettings())
app = runtime.create_app()
