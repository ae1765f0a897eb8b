"""What `rdv` runs: the gateway and the five services, their ASGI apps and their databases."""
from __future__ import annotations

import os

from shared.settings import SERVICE_NAMES

ALL = ("gateway", *SERVICE_NAMES)
APPS = {"gateway": "gateway.app:app",
        **{name: f"services.{name}.entrypoints.app:app" for name in SERVICE_NAMES}}


def database_name(service: str) -> str:
    return f"rdv_{service}"


def migrate_all(env: dict[str, str] | None = None, services=ALL) -> None:
    """Bring every service's database to its latest migration (URLs `<SERVICE>_DATABASE_URL` in `env`)."""
    # Alembic loads here, not with the module: `rdv service` imports this file and never migrates.
    from shared.migrations import upgrade

    env = env if env is not None else dict(os.environ)
    for service in services:
        url = env.get(f"{service.upper()}_DATABASE_URL")
        if not url:
            raise SystemExit(f"{service.upper()}_DATABASE_URL manquant")
        upgrade(service, url)
