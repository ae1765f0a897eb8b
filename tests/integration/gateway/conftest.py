"""The gateway alone (`rdv service gateway`) on a fresh database, with stand-in services."""
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
import pytest

from rdv.embedded import free_port
from shared.settings import SERVICE_NAMES
from tests.integration.gateway.echo import EchoServer, dead_url

PLATFORM_KEY = "gw-test-platform-key"


@dataclass
class Gateway:
    base_url: str
    proc: subprocess.Popen
    log_path: Path
    db_url: str = ""

    def client(self, token: str | None = None, **kw) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=30, **kw)

    def new_organisation(self, **fields) -> tuple[dict, str]:
        """Create an organisation (platform key) and return (organisation, admin token)."""
        email = f"admin-{uuid.uuid4().hex[:8]}@test.rdv"
        with self.client() as c:
            resp = c.post("/api/v1/organisations", headers={"X-Platform-Key": PLATFORM_KEY}, json={
                "name": "Org", **fields, "admin": {"email": email, "first_name": "A", "last_name": "B",
                                                   "password": "Admin-Pass-2027!"}})
            assert resp.status_code == 201, resp.text
            token = c.post("/api/v1/auth/login", json={"email": email, "password": "Admin-Pass-2027!"}).json()["token"]
        return resp.json(), token

    def new_agent(self, admin_token: str, **fields) -> tuple[dict, str]:
        email = f"agent-{uuid.uuid4().hex[:8]}@test.rdv"
        with self.client(admin_token) as c:
            resp = c.post("/api/v1/agents", json={"email": email, "first_name": "A", "last_name": "B",
                                                  "password": "Agent-Pass-2027!", **fields})
            assert resp.status_code == 201, resp.text
            token = c.post("/api/v1/auth/login", json={"email": email, "password": "Agent-Pass-2027!"}).json()["token"]
        return resp.json(), token

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def launch_gateway(infra, env: dict[str, str], *, timeout: float = 30, db_url: str | None = None) -> Gateway:
    from shared.migrations import upgrade

    if db_url is None:
        db_url = infra.create_database("gw")
        upgrade("gateway", db_url)
    port = free_port()
    log_path = Path(tempfile.mkdtemp(prefix="rdv-gw-")) / "gateway.log"
    full_env = dict(os.environ)
    full_env.update({"RDV_ENV": "test", "NATS_URL": infra.nats_url, "GATEWAY_DATABASE_URL": db_url,
                     "RDV_PORT": str(port), "RDV_PLATFORM_KEY": PLATFORM_KEY})
    full_env.pop("RDV_NOW", None)
    full_env.update(env)
    proc = subprocess.Popen([sys.executable, "-m", "rdv.cli", "service", "gateway", "--port", str(port)],
                            env=full_env, stdout=open(log_path, "wb"), stderr=subprocess.STDOUT)
    gw = Gateway(f"http://127.0.0.1:{port}", proc, log_path, db_url)
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            return gw  # exited: the caller checks (production refusals)
        try:
            if httpx.get(gw.base_url + "/healthz", timeout=1).status_code == 200:
                return gw
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"gateway not up:\n{log_path.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def echo():
    server = EchoServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def gateway(infra, echo):
    """Every service is the echo server; booking has a dead replica first (failover)."""
    env = {f"{name.upper()}_URL": echo.url for name in SERVICE_NAMES}
    env["BOOKING_URL"] = f"{dead_url()},{echo.url}"
    gw = launch_gateway(infra, env)
    yield gw
    gw.stop()
