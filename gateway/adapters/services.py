"""The gateway's clients of every service (shared.service_client), one per service named in the settings."""
from __future__ import annotations

from shared.service_client import ServiceClient
from shared.settings import SERVICE_NAMES, service_url


class ServiceClients:
    """The gateway's clients of every service, created at start and closed at stop."""

    def __init__(self) -> None:
        self.by_name = {name: ServiceClient(name, [u.strip().rstrip("/") for u in service_url(name).split(",")
                                                   if u.strip()])
                        for name in SERVICE_NAMES}

    def __getitem__(self, name: str) -> ServiceClient:
        return self.by_name[name]

    async def aclose(self) -> None:
        for client in self.by_name.values():
            await client.aclose()
