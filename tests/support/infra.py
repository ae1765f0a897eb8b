"""Real PostgreSQL and NATS for tests: embedded (default), external URLs, or Docker.

- default: embedded PostgreSQL (fsync off) and NATS under a temp folder, on free ports;
- TEST_DATABASE_URL / TEST_NATS_URL: use those servers;
- RDV_TEST_BACKEND=docker: testcontainers (needs a Docker engine).
"""
from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from rdv.embedded import EmbeddedNats, EmbeddedPostgres, free_port


@dataclass
class Infra:
    admin_url: str  # postgresql://user@host:port/postgres
    nats_url: str
    nats: EmbeddedNats | None = None
    pg: EmbeddedPostgres | None = None
    _cleanup: list = field(default_factory=list)

    def create_database(self, prefix: str = "t") -> str:
        """Create a fresh database; return its SQLAlchemy URL."""
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'create database "{name}"')
        base = self.admin_url.rsplit("/", 1)[0]
        return base.replace("postgresql://", "postgresql+psycopg://", 1) + f"/{name}"

    def migrated_database(self, service: str) -> str:
        from shared.migrations import upgrade

        url = self.create_database(f"t_{service}")
        upgrade(service, url)
        return url

    def restart_nats(self, down_seconds: float = 0.0) -> None:
        import time

        assert self.nats, "only an embedded NATS can be restarted by the tests"
        self.nats.stop()
        time.sleep(down_seconds)
        self.nats.start()

    def close(self) -> None:
        for fn in reversed(self._cleanup):
            try:
                fn()
            except Exception:
                pass


def start_infra() -> Infra:
    backend = os.environ.get("RDV_TEST_BACKEND", "embedded")
    if backend == "docker":
        from testcontainers.nats import NatsContainer  # type: ignore
        from testcontainers.postgres import PostgresContainer  # type: ignore

        pg_c = PostgresContainer("postgres:16", driver=None).start()
        nats_c = NatsContainer("nats:2.10", jetstream=True).start()
        infra = Infra(admin_url=pg_c.get_connection_url(), nats_url=nats_c.nats_uri())
        infra._cleanup += [pg_c.stop, nats_c.stop]
        return infra
    tmp = Path(tempfile.mkdtemp(prefix="rdv-test-"))
    infra = Infra(admin_url=os.environ.get("TEST_DATABASE_URL", ""), nats_url=os.environ.get("TEST_NATS_URL", ""))
    infra._cleanup.append(lambda: shutil.rmtree(tmp, ignore_errors=True))
    if not infra.admin_url:
        pg = EmbeddedPostgres(tmp, free_port(), fast=True)
        pg.start()
        infra.pg = pg
        infra.admin_url = pg.url
        infra._cleanup.append(pg.stop)
    if not infra.nats_url:
        nats = EmbeddedNats(tmp, free_port())
        nats.start()
        infra.nats = nats
        infra.nats_url = nats.url
        infra._cleanup.append(nats.stop)
    return infra
