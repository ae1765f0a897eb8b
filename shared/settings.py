"""Settings: the one place the environment is read (docs/operations.md lists every variable).

`PlatformSettings` holds what every process reads under the same name (RDV_ENV, NATS_URL, the internal
secret...); each service subclasses `ServiceSettings` with its own env prefix ('<SERVICE>_'), and
refuses to start in production with a development default (`check_production`).
"""
from __future__ import annotations

import functools
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_INTERNAL_SECRET = "dev-internal-secret-not-for-production"
Env = Literal["dev", "test", "production"]

SERVICE_NAMES = ("availability", "booking", "usagers", "notifications", "reporting")
DEFAULT_PORTS = {"gateway": 8000, "availability": 8101, "booking": 8102, "usagers": 8103,
                 "notifications": 8104, "reporting": 8105}


class ProductionRefused(RuntimeError):
    """A development default (key, clock, test knob) met RDV_ENV=production: the process must not start."""


class PlatformSettings(BaseSettings):
    """What every process reads under the same name, without a service prefix."""

    model_config = SettingsConfigDict(extra="ignore", env_ignore_empty=True)  # empty = unset

    env: Env = Field(default="dev", validation_alias="RDV_ENV")
    # The clock's starting instant (dev and tests), and the epoch seconds at which it was true.
    now: str | None = Field(default=None, validation_alias="RDV_NOW")
    now_anchor: float | None = Field(default=None, validation_alias="RDV_NOW_ANCHOR")
    internal_secret: SecretStr | None = Field(default=None, validation_alias="RDV_INTERNAL_SECRET")
    data_dir: Path = Field(default=Path("./.rdv"), validation_alias="RDV_DATA_DIR")

    nats_url: str = Field(default="nats://127.0.0.1:4222", validation_alias="NATS_URL")
    nats_user: str | None = Field(default=None, validation_alias="NATS_USER")
    nats_password: SecretStr | None = Field(default=None, validation_alias="NATS_PASSWORD")
    nats_tls_ca: str | None = Field(default=None, validation_alias="NATS_TLS_CA")
    nats_tls_hostname: str | None = Field(default=None, validation_alias="NATS_TLS_HOSTNAME")
    nats_users_file: Path | None = Field(default=None, validation_alias="RDV_NATS_USERS_FILE")
    stream_replicas: int = Field(default=1, validation_alias="RDV_STREAM_REPLICAS")
    # Kept as text: the consumer logs and ignores a value that is not a probability, it does not refuse to start.
    chaos_redeliver: str = Field(default="", validation_alias="RDV_CHAOS_REDELIVER")

    # The booking path's calls answered without FastAPI's per-request machinery (shared.web.hot); 0 turns
    # them back into ordinary routes (same answers, more CPU).
    hot_routes: bool = Field(default=True, validation_alias="RDV_HOT_ROUTES")

    log_format: str = Field(default="json", validation_alias="RDV_LOG_FORMAT")
    log_level: str = Field(default="INFO", validation_alias="RDV_LOG_LEVEL")
    access_log: str | None = Field(default=None, validation_alias="RDV_ACCESS_LOG")
    otel_traces_endpoint: str | None = Field(default=None, validation_alias="OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    otel_endpoint: str | None = Field(default=None, validation_alias="OTEL_EXPORTER_OTLP_ENDPOINT")
    otel_service_name: str | None = Field(default=None, validation_alias="OTEL_SERVICE_NAME")

    @property
    def production(self) -> bool:
        return self.env == "production"

    def secret(self) -> str:
        """The key the gateway signs caller identities with; services verify it."""
        if self.internal_secret is not None and self.internal_secret.get_secret_value():
            return self.internal_secret.get_secret_value()
        if self.production:
            raise ProductionRefused("RDV_INTERNAL_SECRET est obligatoire en production")
        return DEV_INTERNAL_SECRET

    def nats_login(self) -> tuple[str, str] | None:
        """NATS_USER and NATS_PASSWORD, when both are given."""
        password = self.nats_password.get_secret_value() if self.nats_password else ""
        return (self.nats_user, password) if self.nats_user and password else None

    def access_log_enabled(self) -> bool:
        """One JSON line per request: on in production, else when RDV_ACCESS_LOG says so."""
        if self.access_log is not None:
            return self.access_log.strip().lower() in ("1", "true", "yes", "on")
        return self.production

    def check_production(self) -> None:
        """Refuse the development defaults in production: a missing or dev internal secret, a fixed
        clock, TLS to NATS asked (`tls://`) without the CA that signed the servers' certificate."""
        if not self.production:
            return
        if self.secret() == DEV_INTERNAL_SECRET:
            raise ProductionRefused("le secret interne de dev est refusé en production")
        if self.now:
            raise ProductionRefused("RDV_NOW est refusé en production")
        if "tls://" in self.nats_url and not self.nats_tls_ca:
            raise ProductionRefused("NATS_URL demande TLS (tls://) : NATS_TLS_CA est obligatoire en production")


@functools.cache
def platform() -> PlatformSettings:
    """This process's platform settings, read once (hot paths: identities are signed on every call)."""
    return PlatformSettings()


def rdv_env() -> str:
    return platform().env


def internal_secret() -> str:
    """The key the gateway signs caller identities with; services verify it."""
    return platform().secret()


class ServiceSettings(BaseSettings):
    """Base class: one subclass per service, with `env_prefix` = '<SERVICE>_'."""

    model_config = SettingsConfigDict(extra="ignore")

    database_url: str = Field(default="", description="postgresql+psycopg://user@host:port/db")
    host: str = "127.0.0.1"
    port: int = 0
    env: Env = Field(default_factory=lambda: PlatformSettings().env)
    nats_url: str = Field(default_factory=lambda: PlatformSettings().nats_url)
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

    def check_production(self) -> None:
        """Refuse to start in production with a development default (subclasses add their own)."""
        if self.env == "production":
            PlatformSettings(RDV_ENV="production").check_production()


class ProcessSettings(BaseSettings):
    """What the `rdv` command knows of one process, under its prefix ('<NAME>_'): where it listens, where
    the others reach it, its database. The gateway listens on RDV_HOST / RDV_PORT (`listening`)."""

    model_config = SettingsConfigDict(extra="ignore", env_ignore_empty=True)  # empty = unset

    host: str = "127.0.0.1"
    port: int | None = None
    url: str = ""
    database_url: str = ""

    @classmethod
    def of(cls, name: str) -> ProcessSettings:
        return cls(_env_prefix=f"{name.upper()}_")  # type: ignore[call-arg]

    @classmethod
    def listening(cls, name: str) -> ProcessSettings:
        """Where `rdv service <name>` listens (the contract names the gateway's RDV_HOST and RDV_PORT)."""
        return cls(_env_prefix="RDV_") if name == "gateway" else cls.of(name)  # type: ignore[call-arg]

    def listen_port(self, name: str) -> int:
        return self.port if self.port is not None else DEFAULT_PORTS[name]

    @staticmethod
    def env_prefixes() -> tuple[str, ...]:
        """Every prefix this class is read under (tests/deploy lists the variables the code reads)."""
        return ("RDV_", *(f"{name.upper()}_" for name in DEFAULT_PORTS))


def service_url(name: str) -> str:
    """Where the gateway (or booking) reaches a service: `<NAME>_URL`, else `<NAME>_PORT` on this machine."""
    process = ProcessSettings.of(name)
    if process.url:
        return process.url.rstrip("/")
    return f"http://127.0.0.1:{process.port or DEFAULT_PORTS[name]}"


class EmbeddedSettings(BaseSettings):
    """`rdv up` on one machine: the embedded servers' ports, the size of the NATS cluster, the demo data."""

    model_config = SettingsConfigDict(extra="ignore", env_ignore_empty=True)  # empty = unset

    pg_port: int = Field(default=54329, validation_alias="RDV_PG_PORT")
    nats_port: int = Field(default=4222, validation_alias="RDV_NATS_PORT")
    nats_cluster: int = Field(default=1, validation_alias="RDV_NATS_CLUSTER")
    seed: str = Field(default="demo", validation_alias="RDV_SEED")


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
