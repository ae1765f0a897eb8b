"""The availability service's FastAPI app."""
from services.availability.config import AvailabilitySettings
from services.availability.entrypoints import (consumers, routes_catalogue, routes_creneaux, routes_internal,
                                               routes_plages)
from services.availability.service_layer.unit_of_work import AvailabilityUnitOfWork
from shared.service import ServiceRuntime

runtime = ServiceRuntime("availability", AvailabilitySettings(), consumers=[consumers.busy],
                         unit_of_work=AvailabilityUnitOfWork)
# The internal router first: booking's /internal/check, called for every booking, is matched before the
# others are tried (paths do not overlap, so the order changes nothing else).
app = runtime.create_app(routers=[routes_internal.router, routes_catalogue.router, routes_plages.router,
                                  routes_creneaux.router], title="rdv — disponibilités",
                         hot_routes=routes_internal.HOT_ROUTES)
