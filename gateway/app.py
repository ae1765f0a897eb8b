"""The gateway: /api/v1, the agents' web UI, and readiness of the whole system."""
import asyncio

import httpx

from gateway.config import GatewaySettings
from shared.service import ServiceRuntime
from shared.settings import SERVICE_NAMES, service_url


class GatewayRuntime(ServiceRuntime):
    async def readiness(self) -> dict:
        """The gateway is ready when its database, NATS and every service answer."""
        async with httpx.AsyncClient(timeout=2) as client:
            states = await asyncio.gather(*(_service_ready(client, n) for n in SERVICE_NAMES))
        return {**(await super().readiness()), **dict(zip(SERVICE_NAMES, states))}


async def _service_ready(client: httpx.AsyncClient, name: str) -> str:
    try:
        resp = await client.get(service_url(name).split(",")[0] + "/readyz")
        return "ok" if resp.status_code == 200 else "down"
    except httpx.HTTPError:
        return "down"


runtime = GatewayRuntime("gateway", GatewaySettings())
app = runtime.create_app(title="rdv — API de la passerelle")

from gateway.web import router as web_router  # noqa: E402  (the web UI's pages)

app.include_router(web_router)
