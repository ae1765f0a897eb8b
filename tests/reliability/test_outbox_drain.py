"""Writes pile up in the outboxes while NATS is down; after it returns they drain within 10 s."""
import re
import time

import httpx

from tests.reliability.workload import make_workbench, record, size

SERVICES = ("gateway", "availability", "booking", "usagers")


def backlog(system) -> int:
    total = 0
    for name in SERVICES:
        text = httpx.get(f"http://127.0.0.1:{system.ports[name]}/metrics", timeout=5).text
        for value in re.findall(r'^rdv_outbox_backlog\{[^}]*\} ([0-9.e+]+)$', text, re.M):
            total += int(float(value))
    return total


def test_outbox_backlog_drains_within_10s_of_nats_return(rel_system):
    bench = make_workbench(rel_system, agents=4, usagers=4)
    outage = size(10, 60)
    rel_system.infra.nats.kill()
    down_at = time.time()
    made = 0
    slots = iter(bench.slots(size(2000, 20000)))
    with bench.org.admin() as c:
        while time.time() - down_at < outage:
            agent, start = next(slots)
            status, body = bench.book(c, agent, start, bench.usagers[made % len(bench.usagers)])
            assert status == 201, (made, start, body)
            made += 1
    piled = backlog(rel_system)
    assert piled >= made, (piled, made)
    rel_system.infra.nats.start()
    back_at = time.time()
    while backlog(rel_system) > 0:
        assert time.time() - back_at < 10, f"outbox still {backlog(rel_system)} after 10 s"
        time.sleep(0.2)
    drained = time.time() - back_at
    result = bench.converge(made, timeout=120)
    record("outbox_drain", outage_s=outage, writes_during_outage=made, backlog=piled,
           drained_s=round(drained, 2), **result)
