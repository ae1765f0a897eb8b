"""Alembic, programmatically: each service has `migrations/` next to its code.

`upgrade("booking", url)` migrates that service's database to head. A service's
`migrations/env.py` is two lines: import its metadata, call `run_env(metadata)`.
"""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

ROOT = Path(__file__).resolve().parent.parent


def script_location(service: str) -> Path:
    if service == "gateway":
        return ROOT / "gateway" / "migrations"
    return ROOT / "services" / service / "migrations"


def alembic_config(service: str, url: str) -> Config:
    from shared.settings import to_async_url

    cfg = Config()
    cfg.set_main_option("script_location", str(script_location(service)))
    cfg.set_main_option("sqlalchemy.url", to_async_url(url).replace("%", "%%"))
    cfg.attributes["service"] = service
    return cfg


def upgrade(service: str, url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(service, url), revision)


def revision(service: str, url: str, message: str) -> None:
    """Autogenerate a new migration by comparing the models to a database at head."""
    command.revision(alembic_config(service, url), message=message, autogenerate=True)


def run_env(target_metadata) -> None:
    """Body of every service's migrations/env.py (sync psycopg 3 connection)."""
    from alembic import context
    from sqlalchemy import create_engine, pool

    config = context.config
    url = config.get_main_option("sqlalchemy.url")
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata,
                          compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
