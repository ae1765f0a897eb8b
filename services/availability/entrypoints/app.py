"""The availability service's FastAPI app."""
from services.availability.config import AvailabilitySettings
from services.availability.entrypoints import consumers, routes_catalogue, routes_creneaux, routes_internal, routes_plages
from shared.service import ServiceRuntime

runtime = ServiceRuntime("availability", AvailabilitySettings(), consumers=[consumers.busy])
app = runtime.create_app(routers=[routes_catalogue.router, routes_plages.router, routes_creneaux.router,
                                  routes_internal.router], title="rdv — disponibilités")
