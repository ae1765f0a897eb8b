"""The availability service's FastAPI app."""
import gc

from services.availability.config import AvailabilitySettings
from services.availability.entrypoints import consumers, routes_catalogue, routes_creneaux, routes_internal, routes_plages
from shared.service import ServiceRuntime


def tune_garbage_collector() -> None:
    """Keep the collector off the long-lived heap.

    A search builds thousands of short-lived tuples; each collection of the oldest generation
    would rescan every object of the process (FastAPI, SQLAlchemy, pydantic models), which
    doubled a search's CPU time. Objects alive after startup are frozen out of collection, and
    the youngest generation is collected less often.
    """
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


async def _after_startup(_runtime) -> None:
    tune_garbage_collector()


runtime = ServiceRuntime("availability", AvailabilitySettings(), consumers=[consumers.busy],
                         background=[_after_startup])
app = runtime.create_app(routers=[routes_catalogue.router, routes_plages.router, routes_creneaux.router,
                                  routes_internal.router], title="rdv — disponibilités")
