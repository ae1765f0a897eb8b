"""Routes forwarded to the services (`/api/v1/x` -> `<service>/v1/x`) with the caller's signed identity."""
from gateway.entrypoints.proxy import (availability, booking, dev, public, reporting, usagers,  # noqa: F401
                                       webhooks)
