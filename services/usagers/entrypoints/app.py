"""The usagers service's FastAPI app."""
from fastapi import Request
from fastapi.responses import JSONResponse

from services.usagers.config import UsagersSettings
from services.usagers.domain.errors import UsagerError
from services.usagers.entrypoints.consumers import consumers
from services.usagers.entrypoints.retention import retention_loop
from services.usagers.entrypoints.routes import router
from shared.errors import AppError
from shared.service import ServiceRuntime

runtime = ServiceRuntime("usagers", UsagersSettings(), consumers=consumers(), background=[retention_loop])
app = runtime.create_app(routers=[router])


@app.exception_handler(UsagerError)
async def _domain_error(_: Request, exc: UsagerError):
    err = AppError(exc.message, code=exc.code, status=exc.status, details=exc.details)
    return JSONResponse(err.body(), status_code=err.status)
