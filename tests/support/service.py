"""One service alone, as a container runs it (`rdv service <name>`), on a fresh migrated
database and the session's NATS. For service-level HTTP tests before going through the gateway.

    svc = start_service("availability", infra)
    with svc.client(identity) as c: c.get("/v1/lieux")
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx

from rdv.embedded import free_port
from shared.identity import Identity, headers_for
from tests.support.infra import Infra


@dataclass
class RunningService:
    name: str
    base_url: str
    database_url: str
    proc: subprocess.Popen
    log_path: Path

    def client(self, identity: Identity | None = None, *, secret: str | None = None, **kwargs) -> httpx.Client:
        headers = headers_for(identity, secret=secret) if identity else {}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=30, **kwargs)

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def make_identity(*, organisation_id: uuid.UUID | None = None, agent_id: uuid.UUID | None = None,
                  role: str = "admin", service_ids: list[uuid.UUID] | None = None,
                  timezone: str = "Europe/Paris", holiday_zone: str = "metropole",
                  kind: str = "agent") -> Identity:
    return Identity(kind=kind, organisation_id=organisation_id or uuid.uuid4(),
                    agent_id=agent_id or (uuid.uuid4() if kind == "agent" else None),
                    role=role if kind == "agent" else None, service_ids=service_ids or [],
                    timezone=timezone, holiday_zone=holiday_zone)


def start_service(name: str, infra: Infra, *, env: dict[str, str] | None = None,
                  timeout: float = 30.0, database_url: str | None = None) -> RunningService:
    """Start `name` on a fresh migrated database, or on `database_url` (e.g. to restart it)."""
    from shared.migrations import upgrade

    db_url = database_url or infra.create_database(f"svc_{name}")
    upgrade(name, db_url)
    port = free_port()
    log_path = Path(tempfile.mkdtemp(prefix=f"rdv-{name}-")) / "service.log"
    full_env = dict(os.environ)
    full_env.update({"RDV_ENV": "test", "NATS_URL": infra.nats_url,
                     f"{name.upper()}_DATABASE_URL": db_url, f"{name.upper()}_PORT": str(port)})
    full_env.update(env or {})
    proc = subprocess.Popen([sys.executable, "-m", "rdv.cli", "service", name, "--port", str(port)],
                            env=full_env, stdout=open(log_path, "wb"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited:\n{log_path.read_text()[-4000:]}")
        try:
            if httpx.get(base + "/readyz", timeout=1).status_code == 200:
                return RunningService(name, base, db_url, proc, log_path)
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"{name} not ready:\n{log_path.read_text()[-4000:]}")
