"""The gateway: /api/v1, the agents' web UI, and readiness of the whole system."""
import asyncio

from gateway import retention, web
from gateway.adapters.services import ServiceClients
from gateway.config import GatewaySettings
from gateway.entrypoints import auth, calendar_feed, directory, proxy
from gateway.entrypoints.edge import install_middlewares
from gateway.entrypoints.edge.closing import keep_positions
from gateway.entrypoints.openapi import install_openapi
from gateway.entrypoints.request_state import PRINCIPAL_KEY
from gateway.service_layer.audit_writer import AuditWriter
from gateway.service_layer.closing import Closer
from gateway.service_layer.unit_of_work import GatewayUnitOfWork
from gateway.web.pages import install_not_found_page
from shared.service import ServiceRuntime
from shared.settings import SERVICE_NAMES


class GatewayRuntime(ServiceRuntime):
    clients: ServiceClients | None = None
    audit: AuditWriter | None = None
    closer: Closer | None = None

    async def start(self) -> None:
        self.clients = ServiceClients()  # no I/O: ServiceRuntime.start refuses production defaults first
        await super().start()
        self.audit = AuditWriter(self.db)
        self.audit.start()
        self.closer = Closer(self.db, self.audit)

    async def stop(self) -> None:
        if self.audit:
            await self.audit.stop()  # before the database goes
        await super().stop()
        if self.clients:
            await self.clients.aclose()

    async def position_headers(self, scope, stream: str, position: int) -> list[tuple[bytes, bytes]]:
        """The directory's own writes: their position is kept for the caller's organisation (no header:
        the client has nothing to do with it)."""
        principal = scope.get(PRINCIPAL_KEY)
        if principal is not None:
            await keep_positions(scope, principal.organisation.id, {stream: position})
        return []

    async def readiness(self) -> dict:
        """The gateway is ready when its database, NATS and every service answer."""
        states = await asyncio.gather(*(self.clients[name].ready() for name in SERVICE_NAMES))
        return {**(await super().readiness()),
                **{name: "ok" if ready else "down" for name, ready in zip(SERVICE_NAMES, states)}}


runtime = GatewayRuntime("gateway", GatewaySettings(), background=[retention.retention_loop],
                         unit_of_work=GatewayUnitOfWork)
# Routes are matched in order, one by one: the busiest (booking, créneaux) come first. No two routes match
# the same method and path, so the order changes nothing else.
app = runtime.create_app(title="rdv — API de la passerelle", routers=[
    proxy.booking.router, proxy.availability.router, auth.routes.router, directory.routes.router,
    proxy.usagers.router, proxy.reporting.router, proxy.public.router, directory.audit.router, proxy.dev.router,
    calendar_feed.router, calendar_feed.feed_router, proxy.webhooks.router], hot_routes=proxy.booking.HOT_ROUTES)


install_middlewares(app)
install_openapi(app)  # security schemes in /openapi.json; a 405 names every method of its path
app.include_router(web.router)  # the web UI's pages, after the API's routes
install_not_found_page(app)  # a browser's mistyped address gets the 404 page, not JSON (after every handler)
