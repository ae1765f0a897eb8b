"""The design's floor: what a booking costs when only the parts the architecture and the event catalogue fix
are there (bench/_floor_parts.py: the same processes, HTTP hops, statements and messages, doing nothing
else), beside the whole system under the same load, in one run.

    .venv/bin/python -m bench.floor [--seconds 15] [--rate 260] [--pairs 3] [--no-write]

Each run is bench/booking.py's open loop (three arrivals in four on distinct slots, one in the rolling
fight), each on its own PostgreSQL and NATS, CPU of every process read from /proc once the consumers of
`booking.>` have caught up. What the floor spends per booking, no code doing the work the issue asks for
(validating, authorising, rendering and sending three messages...) spends less of: only fewer processes, hops
or messages per booking would, and those are the design's. Writes bench/RESULTS.md (section "Booking: the
design's floor").
"""
from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
import uuid
from datetime import datetime
from pathlib import Path

import psycopg

from bench._booking_targets import FIGHT_AGENTS, USAGERS, Setup, Target
from bench._bulk import plain
from bench._floor_parts import CONSUMERS, SCHEMAS, schema
from bench._results import write_section
from bench.booking import TARGET_CPU_MS, Run, measure, p
from rdv.embedded import free_port, port_open

ROOT = Path(__file__).resolve().parent.parent
HTTP_PEERS = {"availability": None, "booking": "availability", "gateway": "booking"}  # started in this order
DURABLES = {(stream, durable) for specs in CONSUMERS.values() for durable, stream, *_ in specs}
TOKEN = "floor"


def start_floor_target(infra, n_distinct: int) -> Target:
    """The floor's six processes on their own databases, the infra's PostgreSQL and NATS."""
    urls = {service: infra.create_database(f"floor_{service}") for service in SCHEMAS}
    for service, url in urls.items():
        with psycopg.connect(plain(url), autocommit=True) as conn:
            for statement in schema(service):
                conn.execute(statement)
    with psycopg.connect(plain(urls["gateway"]), autocommit=True) as conn:
        conn.execute("insert into sessions values (%s, %s)", (TOKEN, uuid.uuid4()))
    ports = {service: free_port() for service in HTTP_PEERS}
    procs: list[subprocess.Popen] = []

    def launch(service: str) -> None:
        command = [sys.executable, "-m", "bench._floor_parts", "service", service,
                   "--db", plain(urls[service]), "--nats", infra.nats_url]
        if service in ports:
            command += ["--port", str(ports[service])]
        if HTTP_PEERS.get(service):
            command += ["--peer", f"http://127.0.0.1:{ports[HTTP_PEERS[service]]}"]
        procs.append(subprocess.Popen(command, cwd=ROOT))

    def stop() -> None:
        ended = [proc.args[4] for proc in procs if proc.poll() is not None]
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        if ended:  # its figures would be those of a floor without that part
            raise RuntimeError(f"parts of the floor ended during the run: {', '.join(ended)}")

    try:
        for service in [*HTTP_PEERS, *(s for s in SCHEMAS if s not in HTTP_PEERS)]:
            launch(service)
        _wait_ready(infra.nats_url, ports.values(), procs)
    except BaseException:
        stop()
        raise
    setup = Setup(motif_id=str(uuid.uuid4()), lieu_id=str(uuid.uuid4()),
                  distinct_agents=[str(uuid.uuid4()) for _ in range(n_distinct)],
                  fight_agents=[str(uuid.uuid4()) for _ in range(FIGHT_AGENTS)],
                  usager_ids=[str(uuid.uuid4()) for _ in range(USAGERS)])
    return Target("floor", f"http://127.0.0.1:{ports['gateway']}", urls["booking"], [p.pid for p in procs],
                  lambda: {"Authorization": f"Bearer {TOKEN}"}, "/api/v1/rdvs", setup, stop, infra.nats_url)


def _wait_ready(nats_url: str, ports, procs, timeout: float = 60.0) -> None:
    """Until every HTTP part listens and every durable consumer exists."""
    async def durables() -> set[tuple[str, str]]:
        from shared.bus import connect

        nc = await connect(nats_url, name="floor-bench")
        try:
            js = nc.jetstream()
            return {(stream, info.name) for stream in {stream for stream, _ in DURABLES}
                    for info in await js.consumers_info(stream)}
        finally:
            await nc.close()

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(proc.poll() is not None for proc in procs):
            raise RuntimeError("a part of the floor stopped while starting")
        # the caller runs an event loop: ask NATS from a thread of our own
        if all(port_open(port) for port in ports) and DURABLES <= _in_thread(durables):
            return
        time.sleep(0.2)
    raise RuntimeError("the floor did not start in time")


def _in_thread(make_coroutine):
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(make_coroutine())).result()


async def messages_per_booking(nats_url: str) -> tuple[float, float]:
    """(published, delivered) per `booking.rdv.created`, over the streams a booking writes to, warm-up included:
    what the run really sent, whatever the parts' code says."""
    from shared.bus import connect

    nc = await connect(nats_url, name="floor-bench")
    try:
        js = nc.jetstream()
        bookings = (await js.stream_info("BOOKING")).state.messages
        published = delivered = 0
        for stream in ("BOOKING", "NOTIFICATIONS", "REPORTING"):
            published += (await js.stream_info(stream)).state.messages
            delivered += sum(info.delivered.consumer_seq for info in await js.consumers_info(stream))
        return published / max(bookings, 1), delivered / max(bookings, 1)
    finally:
        await nc.close()


# ---------------------------------------------------------------- report
KINDS = ("gateway", "booking", "availability", "usagers", "notifications", "reporting", "postgres", "nats-server")


def per_booking(run: Run, kind: str | None = None) -> float:
    """CPU ms per booking of the run's processes of `kind` (None: all of them)."""
    cpu = sum(run.by_kind.values()) if kind is None else run.by_kind.get(kind, 0.0)
    return cpu * 1000 / max(run.tally.created, 1)


def lesser_sum(floor: Run, system: Run) -> float:
    """The bound where a process of the system spends less than its part of the floor: per kind, the lesser."""
    return sum(min(per_booking(floor, kind), per_booking(system, kind)) for kind in KINDS)


def table(floor: Run, system: Run, messages: dict[str, tuple[float, float]]) -> str:
    def ratio(kind: str | None = None) -> str:
        low = per_booking(floor, kind)
        return f"{per_booking(system, kind) / low:.1f}" if low else "n/a"

    def column(run: Run) -> list[str]:
        tally, requests = run.tally, len(run.tally.latencies)
        return [f"{tally.created} / {tally.taken} / {sum(tally.other.values())}",
                f"{requests / run.elapsed:.0f}",
                f"{p(tally.latencies, 50):.1f} / {p(tally.latencies, 95):.1f} ms"]

    runs = (floor, system)
    lines = ["| measure | floor | whole system | system / floor |", "|---|---|---|---|",
             f"| mode | {floor.mode} | {system.mode} | |"]
    for name, a, b in zip(["bookings (201) / refused (409) / other answers", "requests/s", "latency p50 / p95"],
                          column(floor), column(system)):
        lines.append(f"| {name} | {a} | {b} | |")
    lines.append(f"| **CPU per booking, all processes** | {per_booking(floor):.2f} ms | {per_booking(system):.2f} ms "
                 f"| {ratio()} |")
    for kind in KINDS:
        lines.append(f"| of which {kind} | {per_booking(floor, kind):.2f} ms | {per_booking(system, kind):.2f} ms "
                     f"| {ratio(kind)} |")
    others = [max(0.0, per_booking(run) - sum(per_booking(run, kind) for kind in KINDS)) for run in runs]
    lines.append(f"| of which others (the supervisor...) | {others[0]:.2f} ms | {others[1]:.2f} ms | |")
    lines.append(f"| **per process, the lesser of the two, summed** | {lesser_sum(floor, system):.2f} ms | | |")
    lines.append(f"| NATS messages per booking: published / delivered | {messages['floor'][0]:.1f} / "
                 f"{messages['floor'][1]:.1f} | {messages['system'][0]:.1f} / {messages['system'][1]:.1f} | |")
    xacts = [sum(run.xacts.values()) / max(run.tally.created, 1) for run in runs]
    lines.append(f"| PostgreSQL transactions per booking | {xacts[0]:.1f} | {xacts[1]:.1f} | "
                 + (f"{xacts[1] / xacts[0]:.1f} |" if xacts[0] else "n/a |"))
    return "\n".join(lines)


async def main_async(args) -> None:
    from tests.support.infra import start_infra

    load_before = os.getloadavg()[0]
    pairs = []  # the machine's speed drifts over minutes: the two of a pair are measured back to back
    for _ in range(args.pairs):
        runs, messages = {}, {}
        for name, start in (("floor", start_floor_target), ("system", None)):
            infra = start_infra()  # each run on its own PostgreSQL and NATS, as bench/booking.py does
            try:
                runs[name] = await measure(infra, args, "rolling", rate=args.rate, start=start)
                messages[name] = await messages_per_booking(infra.nats_url)
            finally:
                infra.close()
        pairs.append((runs, messages))
    pairs.sort(key=lambda pair: per_booking(pair[0]["floor"]))
    runs, messages = pairs[len(pairs) // 2]
    floor_cpu, least = per_booking(runs["floor"]), lesser_sum(runs["floor"], runs["system"])
    every = "; ".join(f"{per_booking(r['floor']):.2f} / {per_booking(r['system']):.2f} ms "
                      f"({per_booking(r['system']) / per_booking(r['floor']):.1f})" for r, _ in pairs)
    text = (table(runs["floor"], runs["system"], messages)
            + f"\n\nOpen loop at {args.rate:.0f} requests/s for {args.seconds:.0f} s, the load of bench/booking.py. "
            "The floor is one process per service doing only what the architecture and the event catalogue fix "
            "for a booking: 3 HTTP hops (client to gateway, gateway to booking, booking to availability); one "
            "statement per read or write a part must make (the gateway's session and audit, the check, the RDV "
            "with its outbox row, each consumer's batch, each outbox's mark); 5 publishes (`booking.rdv.created`, "
            "3 `notifications.message.sent`, `reporting.rdv.created`) and 8 deliveries, each acked (5 consumers "
            "of `booking.rdv.*`, 3 of the messages' outcomes). Nothing is validated, rendered, sent, traced or "
            "logged (bench/_floor_parts.py).\n\n"
            f"{len(pairs)} pair(s), floor then system, back to back; the table is the pair of median floor. CPU per "
            f"booking, floor / system (ratio), every pair: {every}.\n\n"
            f"The issue's budget is {TARGET_CPU_MS:.0f} ms per booking; the floor alone spends "
            f"{floor_cpu:.2f} ms ({floor_cpu / TARGET_CPU_MS:.0%} of it). Where a process of the system spends "
            "less than its part of the floor (the system's consumers fetch their own way), the lesser of the two "
            f"is the bound: summed, {least:.2f} ms ({least / TARGET_CPU_MS:.0%} of the budget).\n\n"
            f"Measured {datetime.now().strftime('%Y-%m-%d %H:%M')} on {os.cpu_count()} CPU(s), load average "
            f"{load_before:.1f} before the runs and {os.getloadavg()[0]:.1f} after them. "
            f"`.venv/bin/python -m bench.floor --pairs {args.pairs}`\n")
    print(text)
    if not args.no_write:
        write_section("floor", "Booking: the design's floor", text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--rate", type=float, default=260.0, help="requests per second (open loop)")
    parser.add_argument("--clients", type=int, default=64, help="lanes: half of them agents on distinct slots")
    parser.add_argument("--pairs", type=int, default=3, help="floor and system runs, back to back")
    parser.add_argument("--no-write", action="store_true", help="do not update bench/RESULTS.md")
    args = parser.parse_args()
    args.direct = False
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
