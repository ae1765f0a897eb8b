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
    nats_url: str  # the NATS admin's URL (nats://admin:password@host:port): tests may do anything
    nats: EmbeddedNats | None = None
    pg: EmbeddedPostgres | None = None
    # The embedded NATS's generated users (shared.natsauth): `rdv up` gives each service its own.
    nats_users_file: Path | None = None
    _cleanup: list = field(default_factory=list)

    @property
    def nats_plain_url(self) -> str:
        """The NATS URL without credentials (anonymous connections are refused there)."""
        from urllib.parse import urlsplit

        parts = urlsplit(self.nats_url)
        return f"{parts.scheme}://{parts.hostname}:{parts.port}"

    def nats_user_url(self, user: str) -> str:
        """The URL with `user`'s credentials (shared.natsauth's users: a service, `reader`, `admin`)."""
        import json

        assert self.nats_users_file, "only the embedded NATS has generated users"
        password = json.loads(self.nats_users_file.read_text())[user]
        parts = self.nats_plain_url.split("://", 1)
        return f"{parts[0]}://{user}:{password}@{parts[1]}"

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
        from shared import natsauth

        nats = EmbeddedNats(tmp, free_port(), auth_conf=natsauth.write_server_config(tmp))
        nats.start()
        infra.nats = nats
        infra.nats_users_file = natsauth.users_file(tmp)
        infra.nats_url = nats.url
        infra.nats_url = infra.nats_user_url("admin")
        infra._cleanup.append(nats.stop)
        ensure_all_streams(infra.nats_url)
    return infra


def ensure_all_streams(nats_url: str) -> None:
    """Every stream, as the admin: each service ensures only its own, and tests publish to any."""
    import asyncio
    import threading

    from shared.bus import connect, ensure_streams

    async def run():
        nc = await connect(nats_url, name="test-infra")
        try:
            await ensure_streams(nc.jetstream(timeout=10))
        finally:
            await nc.close()

    thread = threading.Thread(target=lambda: asyncio.run(run()))  # callers may be inside an event loop
    thread.start()
    thread.join()
