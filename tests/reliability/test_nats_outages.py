"""Bookings while NATS is killed (SIGKILL) twice and restarted: every RDV reaches reporting
and usagers, and each usager gets exactly one confirmation per RDV."""
import threading
import time

from tests.reliability.workload import make_workbench, record, size


def _kill_nats_twice(infra, down: float, gap: float) -> None:
    for _ in range(2):
        time.sleep(gap)
        infra.nats.kill()
        time.sleep(down)
        infra.nats.start()


def test_bookings_survive_two_nats_kills(rel_system):
    bench = make_workbench(rel_system)
    count = size(150, 1000)
    outages = threading.Thread(target=_kill_nats_twice, args=(rel_system.infra, 3.0, 1.0))
    started = time.time()
    outages.start()
    statuses = bench.book_many(bench.slots(count))
    outages.join()
    elapsed = time.time() - started
    assert statuses.count(201) == count, {s: statuses.count(s) for s in set(statuses)}
    result = bench.converge(count, timeout=180)
    assert result["duplicates"] == 0
    record("nats_killed_twice", bookings=count, seconds=round(elapsed, 1), **result)
