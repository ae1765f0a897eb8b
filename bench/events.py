"""Reporting consumer benchmark: lag from publish to the fact table, and events consumed per second.

    .venv/bin/python -m bench.events [--rate 500] [--seconds 10] [--backlog 20000]

Starts an embedded PostgreSQL + NATS (as the tests do) and the reporting service as a container
runs it (`rdv service reporting`, its own process). Then:
1. lag: publishes `booking.rdv.created` envelopes (shared.events.new_event, Nats-Msg-Id = id) at a
   steady `--rate` for `--seconds`; each RDV's `created_at` is its publish instant, and the fact row
   records `applied_at` (clock_timestamp() in the consumer's transaction), so the lag of each event
   is applied_at - created_at (same machine clock): p50 / p95 / max, target p95 <= 100 ms at 500/s;
2. throughput: stops the service, publishes a backlog of `--backlog` events (4 created : 1
   status_changed), restarts the service and measures events applied per second while it drains
   the backlog (target >= 2 000/s), with the inbox in batched mode (the default) and, for
   comparison, one transaction per message (REPORTING_CONSUMERS_BATCHED=false).
Writes the table into bench/RESULTS.md (section "Reporting: events").
"""
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import httpx
import psycopg

from bench._results import write_section

TARGET_P95_MS, TARGET_RATE = 100.0, 2000.0
ROOT = Path(__file__).resolve().parent.parent


class Service:
    """`rdv service reporting` on a given database, as a container runs it."""

    def __init__(self, db_url: str, nats_url: str, *, batched: bool = True):
        from rdv.embedded import free_port

        self.port = free_port()
        env = dict(os.environ)
        env.update({"RDV_ENV": "test", "NATS_URL": nats_url, "REPORTING_DATABASE_URL": db_url,
                    "REPORTING_PORT": str(self.port), "RDV_LOG_LEVEL": "WARNING",
                    "RDV_DATA_DIR": tempfile.mkdtemp(prefix="rdv-bench-events-"),
                    "REPORTING_CONSUMERS_BATCHED": "true" if batched else "false"})
        env.pop("RDV_NOW", None)
        self.log = Path(env["RDV_DATA_DIR"]) / "service.log"
        self.proc = subprocess.Popen([sys.executable, "-m", "rdv.cli", "service", "reporting", "--port",
                                      str(self.port)], env=env, cwd=ROOT, stdout=open(self.log, "wb"),
                                     stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"reporting exited:\n{self.log.read_text()[-3000:]}")
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise SystemExit("reporting not ready")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def rdv_payload(org: uuid.UUID, rdv_id: uuid.UUID, refs: dict, i: int, *, status: str = "unknown",
                version: int = 1, created_at: datetime | None = None) -> dict:
    start = datetime(2027, 3, 1, 8, tzinfo=timezone.utc) + timedelta(minutes=30 * (i % 5000))
    return {"id": str(rdv_id), "organisation_id": str(org), "motif_id": str(refs["motifs"][i % 10]),
            "lieu_id": str(refs["lieux"][i % 5]), "agent_ids": [str(refs["agents"][i % 30])],
            "usager_ids": [str(uuid.uuid4())], "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(minutes=30)).isoformat(), "status": status, "display_status": status,
            "context": None, "created_at": (created_at or datetime.now(timezone.utc)).isoformat(),
            "created_by": str(refs["agents"][i % 30]), "cancelled_at": None,
            "service_id": str(refs["services"][i % 3]), "origin": "agent", "version": version,
            "duration_minutes": 30}


def envelope(org, payload: dict, *, changed: bool = False):
    from shared.events import new_event

    if changed:
        return new_event("booking.rdv.status_changed", organisation_id=org,
                         data={"rdv": payload, "previous_status": "unknown"})
    return new_event("booking.rdv.created", organisation_id=org, data={"rdv": payload, "origin": "agent"})


def facts(dsn: str, org: uuid.UUID) -> int:
    with psycopg.connect(dsn) as conn:
        return conn.execute("select count(*) from rdv_facts where organisation_id = %s", (org,)).fetchone()[0]


def wait_facts(dsn: str, org: uuid.UUID, count: int, timeout: float = 300) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if facts(dsn, org) >= count:
            return
        time.sleep(0.1)
    raise SystemExit(f"only {facts(dsn, org)} of {count} facts after {timeout} s")


async def steady(js, org, refs, *, rate: float, seconds: float) -> int:
    """Publish at a steady rate (small bursts every 10 ms); return how many."""
    total = int(rate * seconds)
    started = time.perf_counter()
    for i in range(total):
        due = started + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        ev = envelope(org, rdv_payload(org, uuid.uuid4(), refs, i))
        await js.publish(ev.type, ev.to_json(), headers={"Nats-Msg-Id": str(ev.id)})
    return total


async def backlog(js, org, refs, count: int) -> tuple[int, int]:
    """Publish `count` events (4 created : 1 status_changed of an earlier one) as fast as possible."""
    created, pending = [], []
    for i in range(count):
        if i % 5 == 4 and created:
            rdv_id, j = created[(i * 7) % len(created)]
            ev = envelope(org, rdv_payload(org, rdv_id, refs, j, status="revoked", version=2), changed=True)
        else:
            rdv_id = uuid.uuid4()
            created.append((rdv_id, i))
            ev = envelope(org, rdv_payload(org, rdv_id, refs, i))
        pending.append(js.publish(ev.type, ev.to_json(), headers={"Nats-Msg-Id": str(ev.id)}))
        if len(pending) >= 500:
            await asyncio.gather(*pending)
            pending = []
    await asyncio.gather(*pending)
    return len(created), count


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far, from /proc: a figure a busy machine
    inflates much less than wall times."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def inbox_rate(dsn: str, since: datetime) -> tuple[int, float]:
    """Events recorded by reporting-facts since `since`, and the seconds between first and last commit."""
    with psycopg.connect(dsn) as conn:
        n, first, last = conn.execute(
            "select count(*), min(applied_at), max(applied_at) from rdv_facts where applied_at >= %s", (since,)
        ).fetchone()
        events = conn.execute("select count(*) from inbox where consumer = 'reporting-facts' and processed_at >= %s",
                              (since,)).fetchone()[0]
    return events, (last - first).total_seconds() if n > 1 else float("nan")


async def run(args) -> dict:
    from shared.bus import connect, ensure_streams
    from shared.migrations import upgrade
    from tests.support.infra import start_infra

    infra = start_infra()
    out: dict = {}
    svc = None
    try:
        db_url = infra.create_database("bench_events")
        upgrade("reporting", db_url)
        dsn = db_url.replace("postgresql+psycopg://", "postgresql://")
        nc = await connect(infra.nats_url, name="bench-events")
        js = nc.jetstream(timeout=10)
        await ensure_streams(js)
        refs = {k: [uuid.uuid4() for _ in range(n)] for k, n in
                (("services", 3), ("agents", 30), ("motifs", 10), ("lieux", 5))}

        # 1. lag at a steady rate
        svc = Service(db_url, infra.nats_url, batched=True)
        org = uuid.uuid4()
        warm = uuid.uuid4()
        await steady(js, warm, refs, rate=args.rate, seconds=1)  # warm-up, not measured
        wait_facts(dsn, warm, int(args.rate))
        n = await steady(js, org, refs, rate=args.rate, seconds=args.seconds)
        wait_facts(dsn, org, n)
        with psycopg.connect(dsn) as conn:
            lags = sorted(r[0] * 1000 for r in conn.execute(
                "select extract(epoch from applied_at - created_at) from rdv_facts where organisation_id = %s", (org,)))
        out["lag"] = {"events": n, "rate": args.rate, "p50": statistics.median(lags),
                      "p95": lags[int(0.95 * (len(lags) - 1))], "p99": lags[int(0.99 * (len(lags) - 1))],
                      "max": lags[-1]}
        print(f"lag at {args.rate:.0f} events/s ({n} events): p50 {out['lag']['p50']:.1f} ms, "
              f"p95 {out['lag']['p95']:.1f} ms, max {out['lag']['max']:.1f} ms", flush=True)

        # 2. throughput while draining a backlog, batched then one transaction per message
        for batched in (True, False):
            svc.stop()
            org = uuid.uuid4()
            # the slow mode only needs a smaller backlog to show its rate
            created, total = await backlog(js, org, refs, args.backlog if batched else min(args.backlog, 5000))
            since = datetime.now(timezone.utc)
            svc = Service(db_url, infra.nats_url, batched=batched)
            cpu_before = process_cpu(svc.proc.pid)  # its start-up apart
            wait_facts(dsn, org, created)
            time.sleep(1.0)  # the last status changes
            cpu = process_cpu(svc.proc.pid) - cpu_before
            events, seconds = inbox_rate(dsn, since)
            key = "batched" if batched else "per_message"
            out[key] = {"events": events, "seconds": seconds, "rate": events / seconds,
                        "cpu_us": cpu * 1e6 / max(events, 1)}
            print(f"throughput ({key}): {events} events in {seconds:.2f} s = {events / seconds:,.0f} events/s, "
                  f"service CPU {out[key]['cpu_us']:.0f} us/event", flush=True)
        await nc.close()
    finally:
        if svc:
            svc.stop()
        infra.close()
    return out


def write_results(text: str) -> None:
    write_section("reporting-events", "Reporting: events", text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.events")
    parser.add_argument("--rate", type=float, default=500.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--backlog", type=int, default=20000)
    parser.add_argument("--no-write", action="store_true", help="do not update bench/RESULTS.md")
    args = parser.parse_args(argv)
    load_before = os.getloadavg()[0]
    out = asyncio.run(run(args))
    lag, b, p = out["lag"], out["batched"], out["per_message"]
    table = "\n".join([
        "| measure | value | target |", "|---|---:|---:|",
        f"| lag publish -> fact table, p50 at {lag['rate']:.0f} events/s | {lag['p50']:.1f} ms | |",
        f"| lag publish -> fact table, p95 at {lag['rate']:.0f} events/s | {lag['p95']:.1f} ms "
        f"| <= {TARGET_P95_MS:.0f} ms ({'met' if lag['p95'] <= TARGET_P95_MS else 'NOT met'}) |",
        f"| lag, max | {lag['max']:.1f} ms | |",
        f"| events consumed/s (backlog of {b['events']}, batched inbox) | {b['rate']:.0f} "
        f"| >= {TARGET_RATE:.0f} ({'met' if b['rate'] >= TARGET_RATE else 'NOT met'}) |",
        f"| events consumed/s (one transaction per message, for comparison) | {p['rate']:.0f} | |",
        f"| reporting service CPU per event (backlog, batched inbox) | {b['cpu_us']:.0f} us | |",
        f"| reporting service CPU per event (one transaction per message) | {p['cpu_us']:.0f} us | |",
    ])
    text = (f"{table}\n\nMeasured by `python -m bench.events` on {date.today().isoformat()} ({os.cpu_count()} cores, "
            f"load average {load_before:.1f} -> {os.getloadavg()[0]:.1f}; publisher, NATS, PostgreSQL and the "
            "reporting service on the same machine). Events: "
            "`booking.rdv.created` (lag) and 4 created : 1 status_changed (throughput), real envelopes on JetStream; "
            "consumer `reporting-facts` with its inbox.")
    print()
    print(text)
    if not args.no_write:
        write_results(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
