"""Settings common to every service. Each service subclasses with its own env prefix.

Values that every process shares (RDV_ENV, NATS_URL, the internal secret) are read
without the service prefix; the database URL is `<SERVICE>_DATABASE_URL`.
"""
from __future__ import annotations

import os
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_INTERNAL_SECRET = "dev-internal-secret-not-for-production"


def rdv_env() -> str:
    return os.environ.get("RDV_ENV", "dev")


def nats_url() -> str:
    return os.environ.get("NATS_URL", "nats://127.0.0.1:4222")


def internal_secret() -> str:
    """The key the gateway signs caller identities with; services verify it."""
    value = os.environ.get("RDV_INTERNAL_SECRET")
    if value:
        return value
    if rdv_env() == "production":
        raise RuntimeError("RDV_INTERNAL_SECRET est obligatoire en production")
    return DEV_INTERNAL_SECRET


class ServiceSettings(BaseSettings):
    """Base class: one subclass per service, with `env_prefix` = '<SERVICE>_'."""

    model_config = SettingsConfigDict(extra="ignore")

    database_url: str = Field(default="", description="postgresql+psycopg://user@host:port/db")
    host: str = "127.0.0.1"
    port: int = 0
    env: Literal["dev", "test", "production"] = Field(default_factory=lambda: rdv_env())  # type: ignore[arg-type]
    nats_url: str = Field(default_factory=nats_url)
    # Connections per process: enough for the requests a replica serves at once (an overflow connection
    # is closed when returned, and opening one costs PostgreSQL a backend process). The database's
    # max_connections must cover (pool + overflow) x processes.
    db_pool_size: int = 64
    db_max_overflow: int = 16
    # A backstop: every commit that writes events wakes its relay at once.
    relay_interval_seconds: float = 2.0
    consumer_max_deliver: int = 8

    def async_database_url(self) -> str:
        return to_async_url(self.database_url)


def to_async_url(url: str) -> str:
    """Normalise a PostgreSQL URL to SQLAlchemy's psycopg 3 dialect."""
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def to_libpq_url(url: str) -> str:
    """The same PostgreSQL URL for psycopg / libpq (no SQLAlchemy dialect in the scheme)."""
    for prefix in ("postgresql+psycopg://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql://" + url[len(prefix):]
    return url


SERVICE_NAMES = ("availability", "booking", "usagers", "notifications", "reporting")
DEFAULT_PORTS = {"gateway": 8000, "availability": 8101, "booking": 8102, "usagers": 8103,
                 "notifications": 8104, "reporting": 8105}


def service_url(name: str) -> str:
    """Where the gateway (or booking) reaches a service: `<NAME>_URL`, else its default port."""
    env = os.environ.get(f"{name.upper()}_URL")
    if env:
        return env.rstrip("/")
    port = os.environ.get(f"{name.upper()}_PORT") or DEFAULT_PORTS[name]
    return f"http://127.0.0.1:{port}"
