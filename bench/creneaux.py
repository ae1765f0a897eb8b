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
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Callable

import httpx
import psycopg

from bench._results import write_section
from tests.support.procs import cpu_by_kind

NOW = "2027-03-01T08:00:00+01:00"
ZONE = "Europe/Paris"
FIRST_MONDAY = date(2027, 3, 1)
WEEKS = 6
WINDOW = (date(2027, 3, 8), date(2027, 3, 14))
AGENTS = 100
RDVS = 3000
ABSENCE_SHARE = 0.10
TARGETS = {"service": 15.0, "gateway": 60.0, "next_available": 100.0, "ratio": 3.0}
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday"]


@dataclass
class Seeded:
    mode: str
    organisation_id: uuid.UUID
    database_url: str
    motif_id: str
    rare_motif_id: str
    agents: list[str]
    rare_agents: list[str]
    search: Callable[[dict], httpx.Response] | None = None  # through the gateway
    service_url: str = ""  # the availability service itself
    roots: list[int] = field(default_factory=list)  # processes whose CPU the HTTP measures count
    stop: Callable[[], None] = lambda: None
    counts: dict = field(default_factory=dict)


def _ok(resp: httpx.Response, what: str) -> dict:
    if resp.status_code >= 300:
        raise RuntimeError(f"{what}: {resp.status_code} {resp.text[:300]}")
    return resp.json()


def seed(client: httpx.Client, prefix: str, agents: list[str], rare_agents: list[str], service_id: str,
         rng: random.Random) -> dict:
    """Lieu, motifs, plages and absences through the API; return ids and counts."""
    lieu = _ok(client.post(f"{prefix}/lieux", json={"name": "Maison des solidarités", "address": "1 place de la Mairie"}),
               "lieu")["id"]
    motif = _ok(client.post(f"{prefix}/motifs", json={"name": "Entretien", "service_id": service_id,
                                                      "duration_minutes": 30, "location_type": "public_office"}),
                "motif")["id"]
    rare = _ok(client.post(f"{prefix}/motifs", json={"name": "Bilan annuel", "service_id": service_id,
                                                     "duration_minutes": 30, "location_type": "public_office"}),
               "motif")["id"]
    weekly = {"every": "week", "interval": 1, "on": WEEKDAYS, "until": None}
    plages = absences = 0
    for agent in agents:
        for start, end in (("09:00", "12:00"), ("14:00", "17:00")):
            _ok(client.post(f"{prefix}/plages", json={"agent_id": agent, "lieu_id": lieu, "motif_ids": [motif],
                                                      "title": "Permanence", "first_day": FIRST_MONDAY.isoformat(),
                                                      "start_time": start, "end_time": end, "recurrence": weekly}),
                "plage")
            plages += 1
        for day in working_days():
            if rng.random() < ABSENCE_SHARE:
                start, end = rng.choice([("08:00", "18:00"), ("09:00", "12:00"), ("13:30", "17:00")])
                _ok(client.post(f"{prefix}/absences", json={
                    "agent_id": agent, "title": "Congé", "first_day": day.isoformat(), "start_time": start,
                    "end_day": day.isoformat(), "end_time": end, "recurrence": None}), "absence")
                absences += 1
    for agent in rare_agents:
        _ok(client.post(f"{prefix}/plages", json={"agent_id": agent, "lieu_id": lieu, "motif_ids": [rare],
                                                  "title": "Bilans", "first_day": FIRST_MONDAY.isoformat(),
                                                  "start_time": "17:00", "end_time": "18:00", "recurrence": weekly}),
            "plage")
        _ok(client.post(f"{prefix}/absences", json={
            "agent_id": agent, "title": "Réunion d'équipe", "first_day": FIRST_MONDAY.isoformat(),
            "start_time": "16:30", "end_day": FIRST_MONDAY.isoformat(), "end_time": "18:30",
            "recurrence": {**weekly, "until": "2027-08-27"}}), "absence")
    return {"lieu": lieu, "motif": motif, "rare": rare, "plages": plages + len(rare_agents),
            "absences": absences + len(rare_agents)}


def working_days() -> list[date]:
    return [FIRST_MONDAY + timedelta(days=7 * w + d) for w in range(WEEKS) for d in range(5)]


def load_rdvs(database_url: str, organisation_id: uuid.UUID, agents: list[str], motif: str, lieu: str,
              rng: random.Random) -> int:
    """3 000 RDVs over the 6 weeks, as booking.rdv.* events would leave them in the busy projection."""
    from zoneinfo import ZoneInfo

    paris = ZoneInfo(ZONE)
    starts = [(9, 0), (9, 30), (10, 0), (10, 30), (11, 0), (11, 30), (14, 0), (14, 30), (15, 0), (15, 30),
              (16, 0), (16, 30)]
    taken, rows = set(), []
    days = working_days()
    while len(rows) < RDVS:
        agent, day, (h, m) = rng.choice(agents), rng.choice(days), rng.choice(starts)
        if (agent, day, h, m) in taken:
            continue
        taken.add((agent, day, h, m))
        begin = datetime(day.year, day.month, day.day, h, m, tzinfo=paris)
        status = rng.choices(["unknown", "seen", "revoked", "excused"], [85, 5, 5, 5])[0]
        rows.append((uuid.uuid4(), organisation_id, [uuid.UUID(agent)], begin, begin + timedelta(minutes=30),
                     status, 1, begin, uuid.UUID(motif), uuid.UUID(lieu)))
    with psycopg.connect(database_url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        with conn.cursor() as cur:
            cur.executemany("insert into busy_rdvs (id, organisation_id, agent_ids, starts_at, ends_at, status, "
                            "version, event_at, motif_id, lieu_id) values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                            rows)
        conn.execute("analyze")
    return len(rows)


def seed_direct(infra, rng: random.Random) -> Seeded:
    from tests.support.service import make_identity, start_service

    svc = start_service("availability", infra, env={"RDV_NOW": NOW, "RDV_NOW_ANCHOR": str(time.time())})
    admin = make_identity(role="admin")
    agents = [str(uuid.uuid4()) for _ in range(AGENTS)]
    rare_agents = [str(uuid.uuid4()) for _ in range(AGENTS)]
    with svc.client(admin) as c:
        ids = seed(c, "/v1", agents, rare_agents, str(uuid.uuid4()), rng)
    rdvs = load_rdvs(svc.database_url, admin.organisation_id, agents, ids["motif"], ids["lieu"], rng)
    return Seeded("service alone (gateway not measured: --direct)", admin.organisation_id, svc.database_url,
                  ids["motif"], ids["rare"], agents, rare_agents, None, svc.base_url,
                  [svc.proc.pid] + ([infra.pg.proc.pid] if infra.pg else []), svc.stop, {**ids, "rdvs": rdvs})


def seed_gateway(infra, rng: random.Random) -> Seeded:
    from tests.support.system import start_system

    system = start_system(infra=infra, env={"RDV_NOW": NOW})
    try:
        org = system.new_organisation(name="Bench créneaux")
        with org.admin() as c:
            service = _ok(c.post("/api/v1/services", json={"name": "Solidarités", "short_name": "SOL"}), "service")
            people = []
            for i in range(2 * AGENTS):
                people.append(_ok(c.post("/api/v1/agents", json={
                    "email": f"agent{i}-{uuid.uuid4().hex[:6]}@bench.rdv", "first_name": "Agent", "last_name": f"N{i}",
                    "password": "Bench-Agent-2027!", "role": "basic", "service_ids": [service["id"]]}), "agent")["id"])
            agents, rare_agents = people[:AGENTS], people[AGENTS:]
            ids = seed(c, "/api/v1", agents, rare_agents, service["id"], rng)
        url = system.env["AVAILABILITY_DATABASE_URL"]
        rdvs = load_rdvs(url, uuid.UUID(org.id), agents, ids["motif"], ids["lieu"], rng)
        client = org.admin()
        params_base = {"from": WINDOW[0].isoformat(), "to": WINDOW[1].isoformat()}

        def search(params: dict) -> httpx.Response:
            return client.get("/api/v1/creneaux", params={**params_base, **params})

        def stop():
            client.close()
            system.stop()

        return Seeded("gateway + service", uuid.UUID(org.id), url, ids["motif"], ids["rare"], agents, rare_agents,
                      search, f"http://127.0.0.1:{system.ports['availability']}",
                      [system.proc.pid] + ([infra.pg.proc.pid] if infra.pg else []), stop, {**ids, "rdvs": rdvs})
    except Exception:
        system.stop()
        raise


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
        body = _ok(resp, "GET /api/v1/creneaux")
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
            _ok(resp, "GET /v1/creneaux")
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
