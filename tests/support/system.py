"""The whole system for end-to-end tests: `rdv up` as a user runs it, on free ports,
against its own embedded NATS and PostgreSQL (so tests can stop and restart them).
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from rdv.cli import parse_replicas
from rdv.embedded import free_port, free_port_run
from rdv.supervisor import REPLICA_PORT_STEP
from tests.support.infra import Infra, start_infra

SERVICES = ("gateway", "availability", "booking", "usagers", "notifications", "reporting")
PLATFORM_KEY = "test-platform-key"
DEFAULT_NOW = "2027-03-01T08:00:00+01:00"  # a Monday, before the spring DST change


@dataclass
class RunningSystem:
    base_url: str
    env: dict[str, str]
    infra: Infra
    proc: subprocess.Popen
    log_path: Path
    ports: dict[str, int] = field(default_factory=dict)
    owns_infra: bool = False

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=30)

    def new_organisation(self, *, name: str | None = None, timezone: str = "Europe/Paris",
                         holiday_zone: str = "metropole") -> "OrgHandle":
        """Create a fresh organisation with its admin through the platform key; log the admin in."""
        suffix = uuid.uuid4().hex[:8]
        email = f"admin-{suffix}@test.rdv"
        password = "Admin-Pass-2027!"
        with self.client() as c:
            resp = c.post("/api/v1/organisations", headers={"X-Platform-Key": PLATFORM_KEY}, json={
                "name": name or f"Org {suffix}", "timezone": timezone, "holiday_zone": holiday_zone,
                "admin": {"email": email, "first_name": "Ada", "last_name": "Admin", "password": password}})
            assert resp.status_code == 201, resp.text
            org = resp.json()
            token = self.login(email, password)
        return OrgHandle(system=self, organisation=org, admin_email=email, admin_token=token)

    def login(self, email: str, password: str) -> str:
        with self.client() as c:
            resp = c.post("/api/v1/auth/login", json={"email": email, "password": password})
            assert resp.status_code == 200, resp.text
            return resp.json()["token"]

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.owns_infra:
            self.infra.close()


@dataclass
class OrgHandle:
    system: RunningSystem
    organisation: dict
    admin_email: str
    admin_token: str

    @property
    def id(self) -> str:
        return self.organisation["id"]

    def admin(self) -> httpx.Client:
        return self.system.client(self.admin_token)

    def new_agent(self, *, role: str = "basic", service_ids: list[str] | None = None) -> tuple[dict, str]:
        """Create an agent with the admin; return (agent, token)."""
        suffix = uuid.uuid4().hex[:8]
        email = f"agent-{suffix}@test.rdv"
        password = "Agent-Pass-2027!"
        with self.admin() as c:
            resp = c.post("/api/v1/agents", json={"email": email, "first_name": "Alex", "last_name": f"Agent{suffix}",
                                                  "password": password, "role": role,
                                                  "service_ids": service_ids or []})
            assert resp.status_code == 201, resp.text
        return resp.json(), self.system.login(email, password)


def start_system(*, env: dict[str, str] | None = None, infra: Infra | None = None,
                 replicas: str | None = None, timeout: float = 90.0, embedded: bool = False) -> RunningSystem:
    """`embedded`: `rdv up` starts (and heals) its own NATS and PostgreSQL, as `make run` does;
    `infra` then only says where they listen."""
    owns_infra = infra is None and not embedded
    data_dir = Path(tempfile.mkdtemp(prefix="rdv-sys-"))
    if embedded:
        pg_port, nats_port = free_port(), free_port()
        infra = Infra(admin_url=f"postgresql://postgres@127.0.0.1:{pg_port}/postgres",
                      nats_url=f"nats://127.0.0.1:{nats_port}")
    else:
        infra = infra or start_infra()
    full_env = dict(os.environ)
    full_env.update({
        "RDV_ENV": "test", "RDV_SEED": "none", "RDV_DATA_DIR": str(data_dir), "RDV_LOG_LEVEL": "INFO",
        "RDV_PLATFORM_KEY": PLATFORM_KEY, "RDV_NOW": DEFAULT_NOW, "NATS_URL": infra.nats_url,
        "RDV_LOG_FORMAT": "json",
    })
    if infra.nats_users_file and not embedded:  # each service connects as its own NATS user
        full_env.update({"NATS_URL": infra.nats_plain_url, "RDV_NATS_USERS_FILE": str(infra.nats_users_file)})
    if embedded:
        full_env.pop("NATS_URL")
        full_env.update({"RDV_PG_PORT": str(pg_port), "RDV_NATS_PORT": str(nats_port)})
    full_env.update(env or {})
    if not full_env.get("RDV_NOW"):
        full_env.pop("RDV_NOW", None)
    # a replica listens on its service's port + REPLICA_PORT_STEP per replica: those ports must be free too,
    # else the replica cannot listen, and the one that does listen there answers for it
    counts = parse_replicas(replicas)
    ports = {name: free_port_run(counts.get(name, 1), REPLICA_PORT_STEP) for name in SERVICES}
    for name in SERVICES:
        if embedded:  # the names `rdv up` gives the databases it creates
            full_env[f"{name.upper()}_DATABASE_URL"] = f"postgresql+psycopg://postgres@127.0.0.1:{pg_port}/rdv_{name}"
        else:
            full_env[f"{name.upper()}_DATABASE_URL"] = infra.create_database(f"e2e_{name}")
        full_env[f"{name.upper()}_PORT"] = str(ports[name])
        full_env.pop(f"{name.upper()}_URL", None)
    full_env["RDV_PORT"] = str(ports["gateway"])
    log_path = data_dir / "system.log"
    args = [sys.executable, "-m", "rdv.cli", "up"] + (["--replicas", replicas] if replicas else [])
    proc_env = dict(full_env)
    if embedded:  # `rdv up` creates them on its PostgreSQL
        for name in SERVICES:
            proc_env.pop(f"{name.upper()}_DATABASE_URL")
    proc = subprocess.Popen(args, env=proc_env, stdout=open(log_path, "wb"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{ports['gateway']}"
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"rdv up exited ({proc.returncode}):\n{log_path.read_text()[-5000:]}")
        try:
            if httpx.get(base + "/readyz", timeout=2).status_code == 200:
                return RunningSystem(base, full_env, infra, proc, log_path, ports, owns_infra)
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    proc.kill()
    raise RuntimeError(f"system not ready:\n{log_path.read_text()[-5000:]}")


def wait_until(predicate, *, timeout: float = 10.0, interval: float = 0.05, message: str = "condition"):
    """Poll `predicate` until it returns a truthy value (returned), or fail after `timeout`."""
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {message} (last: {last!r})")
