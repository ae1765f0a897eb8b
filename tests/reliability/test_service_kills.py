"""Each service (and the gateway) SIGKILLed once under booking load, restarted by the supervisor:
every booking is made once (same Idempotency-Key on retry), nothing is lost or duplicated."""
import os
import signal
import threading
import time

import httpx

from tests.reliability.workload import make_workbench, record, size
from tests.support.procs import service_pids
from tests.support.system import wait_until

TARGETS = ("booking", "availability", "usagers", "notifications", "reporting", "gateway")


def _ready(system) -> bool:
    try:
        return httpx.get(system.base_url + "/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _killer(system, done: threading.Event, killed: list, back_in: list) -> None:
    for name in TARGETS:
        time.sleep(1.5)
        pids = list(service_pids(system.proc.pid, name).values())
        if pids:
            os.kill(pids[0], signal.SIGKILL)
            killed.append(name)
            down_at = time.time()
            time.sleep(0.3)
            # The supervisor restarts it: the whole system answers ready again.
            wait_until(lambda: _ready(system), timeout=60, interval=0.2, message=f"{name} restarted")
            back_in.append(round(time.time() - down_at, 1))
    done.set()


def test_each_service_killed_once_under_load(rel_system):
    bench = make_workbench(rel_system)
    count = size(120, 600)
    killed: list[str] = []
    back_in: list[float] = []
    done = threading.Event()
    killer = threading.Thread(target=_killer, args=(rel_system, done, killed, back_in))
    started = time.time()
    killer.start()
    statuses = bench.book_many(bench.slots(count), workers=6)
    killer.join()
    assert killed == list(TARGETS)
    assert statuses.count(201) + statuses.count(200) == count, {s: statuses.count(s) for s in set(statuses)}
    assert len(set(bench.booked.values())) == count, "one RDV per idempotency key"
    result = bench.converge(count, timeout=180)
    assert result["duplicates"] == 0
    assert bench.overlaps() == 0
    restarts = rel_system.logs().count("redémarrage n°")
    record("each_service_sigkilled", bookings=count, killed=len(killed), restarts=restarts,
           max_restart_s=max(back_in),
           seconds=round(time.time() - started, 1), **result)
