"""`rdv up` (what `make run` calls) from an empty data folder: ready, then SIGINT leaves nothing behind."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from rdv.embedded import free_port, port_open
from tests.support.procs import descendants

SERVICES = ("gateway", "availability", "booking", "usagers", "notifications", "reporting")


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
        return state != "Z"
    except OSError:
        return False


def test_rdv_up_on_a_fresh_data_dir_is_ready_and_stops_cleanly():
    data_dir = Path(tempfile.mkdtemp(prefix="rdv-up-"))
    env = {k: v for k, v in os.environ.items() if not k.endswith("_DATABASE_URL") and k != "NATS_URL"}
    ports = {name: free_port() for name in SERVICES}
    env.update({"RDV_DATA_DIR": str(data_dir), "RDV_SEED": "none", "RDV_ENV": "test",
                "RDV_PG_PORT": str(free_port()), "RDV_NATS_PORT": str(free_port()),
                "RDV_PORT": str(ports["gateway"])})
    for name in SERVICES[1:]:
        env[f"{name.upper()}_PORT"] = str(ports[name])
        env.pop(f"{name.upper()}_URL", None)
    started = time.time()
    proc = subprocess.Popen([sys.executable, "-m", "rdv.cli", "up"], env=env,
                            stdout=open(data_dir / "up.log", "wb"), stderr=subprocess.STDOUT)
    try:
        body = None
        while time.time() - started < 60:
            assert proc.poll() is None, (data_dir / "up.log").read_text()[-3000:]
            try:
                resp = httpx.get(f"http://127.0.0.1:{ports['gateway']}/readyz", timeout=2)
                if resp.status_code == 200:
                    body = resp.json()
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        assert body is not None, "not ready within 60 s"
        checks = body.get("checks", body)
        for name in ("database", "nats", *SERVICES[1:]):
            assert checks[name] == "ok", body
        children = descendants(proc.pid)
        assert len(children) >= 8  # 6 services + postgres + nats (+ postgres workers)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(60)
    time.sleep(0.5)
    assert proc.returncode in (0, 130)
    left = [pid for pid in children if _alive(pid)]
    assert left == [], f"processes left behind: {left}"
    for name, port in ports.items():
        assert not port_open(port), f"{name} port {port} still open"
    assert not port_open(int(env["RDV_PG_PORT"]))
    assert not port_open(int(env["RDV_NATS_PORT"]))
