"""What `rdv` runs: the gateway and the five services, their ASGI apps and their databases."""
from __future__ import annotations

from typing import Iterable, Mapping

from shared.settings import SERVICE_NAMES, ProcessSettings

ALL = ("gateway", *SERVICE_NAMES)
APPS = {"gateway": "gateway.app:app",
        **{name: f"services.{name}.entrypoints.app:app" for name in SERVICE_NAMES}}


def database_name(service: str) -> str:
    return f"rdv_{service}"


def database_urls(services: Iterable[str] = ALL) -> dict[str, str]:
    """`<SERVICE>_DATABASE_URL` of each service that has one."""
    urls = {service: ProcessSettings.of(service).database_url for service in services}
    return {service: url for service, url in urls.items() if url}


def migrate_all(urls: Mapping[str, str] | None = None, services: Iterable[str] = ALL) -> None:
    """Bring every service's database to its latest migration (default: the `<SERVICE>_DATABASE_URL`s)."""
    # Alembic loads here, not with the module: `rdv service` imports this file and never migrates.
    from shared.migrations import upgrade

    urls = database_urls(services) if urls is None else urls
    for service in services:
        if not urls.get(service):
            raise SystemExit(f"{service.upper()}_DATABASE_URL manquant")
        upgrade(service, urls[service])
