"""`rdv up` (what `make run` runs) heals its embedded servers: the embedded NATS, then the embedded
PostgreSQL, SIGKILLed while bookings go on, are restarted by the supervisor on the same data folder,
nobody restarting anything by hand; every RDV then reaches reporting and usagers, one confirmation each."""
from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from tests.reliability.workload import make_workbench, record, size
from tests.support.procs import descendants
from tests.support.system import start_system, wait_until


@pytest.fixture(scope="module")
def embedded_system():
    running = start_system(embedded=True)
    yield running
    running.stop()


def _nats_pid(system) -> int | None:
    for pid in descendants(system.proc.pid):
        try:
            if Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].endswith(b"nats-server"):
                return pid
        except OSError:
            continue
    return None


def _postgres_pid(system) -> int | None:
    path = Path(system.env["RDV_DATA_DIR"]) / "pgdata" / "postmaster.pid"
    try:
        pid = int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return pid if pid in descendants(system.proc.pid) else None


def _kill(system, find, name: str) -> int:
    pid = wait_until(lambda: find(system), timeout=30, message=f"{name} running")
    os.kill(pid, signal.SIGKILL)
    # Back by itself: another process, started by the supervisor, on the same data folder.
    wait_until(lambda: (find(system) or pid) != pid, timeout=60, interval=0.2, message=f"{name} restarted")
    return pid


def test_embedded_nats_and_postgres_sigkilled_come_back_by_themselves(embedded_system):
    system = embedded_system
    bench = make_workbench(system)
    count = size(60, 400)
    killed: dict[str, int] = {}

    def chaos():
        time.sleep(1.0)
        killed["nats"] = _kill(system, _nats_pid, "nats-server")
        time.sleep(2.0)
        killed["postgres"] = _kill(system, _postgres_pid, "postgres")

    statuses, elapsed = bench.book_during(count, chaos)
    assert set(killed) == {"nats", "postgres"}
    assert statuses.count(201) == count, {s: statuses.count(s) for s in set(statuses)}
    result = bench.converge(count, timeout=180)
    assert result["duplicates"] == 0
    logs = system.logs()
    for name in ("nats", "postgres"):
        assert f"{name:>14} | s'est arrêté (code -9); redémarrage n°1 sur les mêmes données" in logs, logs[-3000:]
        assert f"{name:>14} | de nouveau prêt" in logs
    # after the storm, a booking goes through at once
    with bench.org.admin() as c:
        status, _ = bench.book(c, *bench.slots(1, offset=count)[0], bench.usagers[0], deadline=10)
    assert status == 201
    record("embedded_servers_sigkilled", bookings=count, seconds=round(elapsed, 1), **result)
