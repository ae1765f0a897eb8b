"""The booking service's FastAPI app."""
import gc

from services.booking.config import BookingSettings
from services.booking.entrypoints.consumers import CONSUMERS
from services.booking.entrypoints.retention import retention_loop
from services.booking.entrypoints.routes import router
from shared.service import ServiceRuntime


async def _tune_garbage_collector(_runtime) -> None:
    """Keep the collector off the long-lived heap (as availability does).

    Objects alive after startup (FastAPI, SQLAlchemy, pydantic) are frozen out of collection, and the
    youngest generation is collected less often: each request allocates many short-lived objects.
    """
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


runtime = ServiceRuntime("booking", BookingSettings(), consumers=CONSUMERS,
                         background=[_tune_garbage_collector, retention_loop])
app = runtime.create_app(routers=[router])
