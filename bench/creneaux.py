"""Créneaux benchmark: 'Trouver un RDV' over 100 agents, in the service, through the gateway, against raw SQL.

    .venv/bin/python -m bench.creneaux [--runs 200] [--direct] [--no-write]

Data (seeded through the HTTP API, RDVs loaded into availability's busy projection with SQL):
100 agents with weekly plages Mon–Fri 09:00–12:00 and 14:00–17:00, a 30-min motif, absences on
10 % of their working days, 3 000 RDVs over 6 weeks (2027-03-01 → 2027-04-11, Paris). For
`next_available`, 100 other agents offer a second motif Mon–Fri 17:00–18:00 but are away at that
hour until the end of August: a week's search is empty and the next créneau is ~5.5 months later.

Measures, in one run: the 7-day search over all agents through the use case the route runs
(`service_layer.creneaux.search`, real PostgreSQL), the same through the gateway (`GET
/api/v1/creneaux`, admin = every agent) when it is up (`--direct`: the service alone), the
`next_available` search, and the raw SQL fetch of the same inputs (psycopg, no ORM), with the ratio.
Targets: p95 <= 15 ms in the service, <= 60 ms through the gateway, next_available <= 100 ms, ratio <= 3.
Writes the table into bench/RESULTS.md (section "Créneaux").
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import time
import uuid
from datetime import datetime, timedelta

import httpx
import psycopg

from bench._creneaux_data import AGENTS, NOW, WEEKS, WINDOW, ZONE, Seeded, json_of, seed_direct, seed_gateway
from bench._results import write_section
from tests.support.procs import cpu_by_kind

TARGETS = {"service": 15.0, "gateway": 60.0, "next_available": 100.0, "ratio": 3.0}


# ---------------------------------------------------------------- CPU of the processes serving a search
def cpu_per_call(before: dict[str, float], after: dict[str, float], calls: int) -> str:
    spent = {k: (after.get(k, 0.0) - before.get(k, 0.0)) * 1000 / calls for k in after}
    parts = ", ".join(f"{k} {v:.1f}" for k, v in sorted(spent.items(), key=lambda kv: -kv[1]) if v >= 0.05)
    return f"{sum(spent.values()):.1f} ms ({parts})"


# ---------------------------------------------------------------- measures
def _identity(seeded: Seeded):
    from shared.identity import Identity

    return Identity(kind="agent", organisation_id=seeded.organisation_id, agent_id=uuid.uuid4(), role="admin",
                    timezone=ZONE, holiday_zone="metropole")


RAW_SQL = [
    "select * from motifs where id = %(motif)s and organisation_id = %(org)s and deleted_at is null",
    "select p.* from plages p join lieux l on l.id = p.lieu_id and l.deleted_at is null "
    "where p.organisation_id = %(org)s and %(motif)s = any(p.motif_ids) and p.agent_id = any(%(agents)s) "
    "and p.first_day <= %(last)s and (p.last_day is null or p.last_day >= %(first)s)",
    "select * from absences where agent_id = any(%(agents)s) and first_day <= %(last)s "
    "and (last_day is null or last_day >= %(first)s)",
    "select agent_id, extract(epoch from starts_at)::bigint, extract(epoch from ends_at)::bigint "
    "from busy_agents where agent_id = any(%(agents)s) and ends_at > %(start)s and starts_at < %(end)s "
    "and status = any(%(active)s)",
]


async def time_search_and_raw(seeded: Seeded, runs: int) -> dict:
    """Alternate the use case and the raw SQL fetch of its inputs, so both see the same machine load."""
    from zoneinfo import ZoneInfo

    from services.availability.domain import creneaux as domain
    from services.availability.service_layer import creneaux
    from services.availability.service_layer.unit_of_work import unit_of_work
    from shared.db import Database
    from shared.timeutil import parse_instant

    from shared.service import tune_garbage_collector

    tune_garbage_collector()  # as the service process does after its startup
    db = Database(seeded.database_url)
    identity = _identity(seeded)
    agent_ids = [uuid.UUID(a) for a in seeded.agents]
    now = parse_instant(NOW)
    paris = ZoneInfo(ZONE)
    params = {"org": seeded.organisation_id, "motif": uuid.UUID(seeded.motif_id), "agents": agent_ids,
              "first": WINDOW[0], "last": WINDOW[1],
              "start": datetime.combine(WINDOW[0], datetime.min.time(), paris),
              "end": datetime.combine(WINDOW[1] + timedelta(days=1), datetime.min.time(), paris),
              "active": ["unknown", "seen", "noshow"]}
    out: dict = {"service": [], "service_cpu": [], "raw": [], "compute": []}
    url = seeded.database_url.replace("postgresql+psycopg://", "postgresql://")
    try:
        async with await psycopg.AsyncConnection.connect(url) as raw:
            for i in range(runs + 10):
                started, cpu = time.perf_counter(), time.process_time()
                result = await creneaux.search(db=db, identity=identity, motif_id=uuid.UUID(seeded.motif_id),
                                               first=WINDOW[0], last=WINDOW[1], agent_ids=agent_ids, now=now)
                elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
                started = time.perf_counter()
                async with raw.transaction():
                    rows = 0
                    for sql in RAW_SQL:
                        cur = await raw.execute(sql, params)
                        rows += len(await cur.fetchall())
                raw_elapsed = time.perf_counter() - started
                if i >= 10:  # warm-up: connections, prepared statements, caches
                    out["service"].append(elapsed)
                    out["service_cpu"].append(cpu)
                    out["raw"].append(raw_elapsed)
            async with unit_of_work(db, autocommit=True) as uow:
                inputs = await creneaux.load_inputs(uow=uow, identity=identity,
                                                    motif_id=uuid.UUID(seeded.motif_id), agent_ids=agent_ids,
                                                    lieu_id=None, first=WINDOW[0], last=WINDOW[1])
            for _ in range(runs):
                started = time.perf_counter()
                domain.search(inputs, WINDOW[0], WINDOW[1], duration_minutes=30, now=now.timestamp())
                out["compute"].append(time.perf_counter() - started)
        out["result"], out["raw_rows"] = result, rows
        following = []
        for i in range(max(runs // 4, 20) + 3):
            started = time.perf_counter()
            empty = await creneaux.search(db=db, identity=identity, motif_id=uuid.UUID(seeded.rare_motif_id),
                                          first=WINDOW[0], last=WINDOW[1],
                                          agent_ids=[uuid.UUID(a) for a in seeded.rare_agents], now=now)
            if i >= 3:
                following.append(time.perf_counter() - started)
        out["next"], out["empty"] = following, empty
    finally:
        await db.dispose()
    return out


def time_gateway(seeded: Seeded, runs: int) -> tuple[list[float], int, str]:
    assert seeded.search is not None
    timings, count = [], 0
    for i in range(runs + 10):
        if i == 10:
            before = cpu_by_kind(seeded.roots)
        started = time.perf_counter()
        resp = seeded.search({"motif_id": seeded.motif_id})
        elapsed = time.perf_counter() - started
        body = json_of(resp, "GET /api/v1/creneaux")
        count = len(body["items"])
        if i >= 10:
            timings.append(elapsed)
    return timings, count, cpu_per_call(before, cpu_by_kind(seeded.roots), runs)


def time_service_http(seeded: Seeded, runs: int) -> tuple[list[float], str]:
    """The service's own route (rendering included), as the gateway calls it, with a signed identity."""
    from shared.identity import headers_for

    identity = _identity(seeded)
    params = {"motif_id": seeded.motif_id, "from": WINDOW[0].isoformat(), "to": WINDOW[1].isoformat(),
              "agent_ids": ",".join(seeded.agents)}
    timings = []
    with httpx.Client(base_url=seeded.service_url, timeout=30) as client:
        for i in range(runs + 10):
            if i == 10:
                before = cpu_by_kind(seeded.roots)
            started = time.perf_counter()
            resp = client.get("/v1/creneaux", params=params, headers=headers_for(identity))
            elapsed = time.perf_counter() - started
            json_of(resp, "GET /v1/creneaux")
            if i >= 10:
                timings.append(elapsed)
    return timings, cpu_per_call(before, cpu_by_kind(seeded.roots), runs)


def ms(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] * 1000 if len(values) > 1 else values[0] * 1000


def table(rows: list[tuple[str, str, str]]) -> str:
    lines = ["| measure | value | target |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return "\n".join(lines)


def write_results(text: str) -> None:
    write_section("creneaux", "Créneaux", text)


async def main_async(args) -> None:
    from tests.support.infra import start_infra

    rng = random.Random(2027)
    infra = start_infra()
    seeded = None
    gateway_note = ""
    try:
        started = time.monotonic()
        if not args.direct:
            try:
                seeded = seed_gateway(infra, rng)
            except Exception as exc:  # the gateway or one of its routes is not ready
                gateway_note = f"gateway not usable ({exc!r:.200})"
                print(gateway_note + "; measuring the service alone")
                rng = random.Random(2027)
        if seeded is None:
            seeded = seed_direct(infra, rng)
        print(f"seeded ({seeded.mode}) in {time.monotonic() - started:.0f} s: {seeded.counts}")
        m = await time_search_and_raw(seeded, args.runs)
        service, raw, following, result, empty = m["service"], m["raw"], m["next"], m["result"], m["empty"]
        service_http, service_http_cpu = time_service_http(seeded, args.runs)
        gateway, gateway_count, gateway_cpu = (time_gateway(seeded, args.runs) if seeded.search else ([], 0, ""))
        seeded_counts, mode = seeded.counts, seeded.mode
        seeded.stop()
        seeded = None
    finally:
        if seeded is not None:
            seeded.stop()
        infra.close()

    from services.availability.service_layer.views import iso_epoch

    s95, r95, n95 = ms(service, 95), ms(raw, 95), ms(following, 95)
    ratio = s95 / r95
    rows = [
        ("data", f"{AGENTS} agents × 2 weekly plages, {seeded_counts['absences']} absences, "
                 f"{seeded_counts['rdvs']} RDVs over {WEEKS} weeks; motif 30 min", ""),
        ("7-day search, all agents: créneaux found", f"{len(result.items)}", ""),
        ("7-day search in the service (use case + PostgreSQL) p50 / p95",
         f"{ms(service, 50):.1f} / {s95:.1f} ms", f"p95 <= {TARGETS['service']:.0f} ms"),
        ("  of which: Python CPU per search p50 / in-memory computation alone p50",
         f"{ms(m['service_cpu'], 50):.1f} / {ms(m['compute'], 50):.1f} ms", ""),
        ("raw SQL fetch of the same inputs (psycopg, 4 queries, "
         f"{m['raw_rows']} rows), alternated with the above, p50 / p95", f"{ms(raw, 50):.1f} / {r95:.1f} ms", ""),
        ("ratio service / raw SQL (p95)", f"{ratio:.2f}", f"<= {TARGETS['ratio']:.0f}"),
        ("7-day search over HTTP to the service itself (route, JSON rendering) p50 / p95",
         f"{ms(service_http, 50):.1f} / {ms(service_http, 95):.1f} ms", ""),
        ("  CPU per search of the serving processes (load-independent)", service_http_cpu, ""),
    ]
    if gateway:
        rows.append(("7-day search through the gateway (HTTP, admin) p50 / p95",
                     f"{ms(gateway, 50):.1f} / {ms(gateway, 95):.1f} ms ({gateway_count} créneaux)",
                     f"p95 <= {TARGETS['gateway']:.0f} ms"))
        rows.append(("  CPU per search of the serving processes (load-independent)", gateway_cpu, ""))
    else:
        rows.append(("7-day search through the gateway", "not measured: " + (gateway_note or "--direct"),
                     f"p95 <= {TARGETS['gateway']:.0f} ms"))
    found = iso_epoch(empty.next_available, ZONE) if empty.next_available else "none"
    rows.append(("empty week + next_available over 6 months p50 / p95",
                 f"{ms(following, 50):.1f} / {n95:.1f} ms (found {found})", f"p95 <= {TARGETS['next_available']:.0f} ms"))
    text = table(rows)
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    text += (f"\n\nMode: {mode}. Measured {datetime.now().strftime('%Y-%m-%d %H:%M')} on {os.cpu_count()} CPU(s) "
             f"(load average at the end {load}: other work shares the machine), "
             f"{args.runs} runs after 10 warm-up runs, embedded PostgreSQL. `.venv/bin/python -m bench.creneaux`\n")
    print(text)
    if not args.no_write:
        write_results(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--direct", action="store_true", help="the service alone, without the gateway")
    parser.add_argument("--no-write", action="store_true", help="do not update bench/RESULTS.md")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
