"""Scale benchmark: the same figures on a small and on a national data set, side by side, in one run.

    .venv/bin/python -m bench.scale [--scale 1.0] [--rounds 2] [--no-write] [--keep]

Two data sets, each on its own embedded PostgreSQL + NATS, with availability and booking running
as services and the usagers and reporting databases migrated as in production:
- small: one large organisation (100 agents with the créneaux benchmark's plages, absences and
  6 weeks of RDVs ahead, 200 000 usagers, one year of RDVs: about 100 000);
- national: the same organisation with five years of RDVs, and around it the country (issue 22:
  2 000 organisations, 20 000 agents, 10 M RDVs over 5 years, 3 M usagers, plages and absences),
  `--scale` multiplying those counts (the large organisation stays the same).
Everything past the services' own API calls is loaded with COPY (bench/_scale_data.py); the build
time and the databases' size are reported.

Then, alternating between the two sets (`--rounds`), the figures a national deployment must keep:
the 7-day créneaux search over the 100 agents (use case), booking through the booking service
(CPU of every process per booking, by process, and latency), usager search (use case), the
organisation's statistics over a year (use case), and the XLSX export of that year (about
100 000 RDVs, the job's code). Prints the 'scale' table (small vs national, ratio, target <= 1.5)
and writes it into bench/RESULTS.md (section "Scale"). The data is removed at the end.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import statistics
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import httpx
import psycopg

from bench import _scale_data as data
from bench._results import write_section
from tests.support.procs import cpu_by_kind, descendants

TARGET_RATIO = 1.5
FOCUS_USAGERS = 200_000
FOCUS_PER_DAY = 4.0  # RDVs per agent and working day in the large organisation
YEAR = (date(2026, 3, 1), date(2027, 2, 28))  # the year before NOW: statistics and export
BOOKING_WEEK = date(2027, 4, 12)  # after the créneaux benchmark's 6 weeks: free slots
BOOKINGS = 400  # per set and round
# Usager searches per kind and round: the phone and email lookups cost about a millisecond, and the
# backends' CPU is read from /proc in 10 ms ticks.
USAGER_QUERIES = 300


@dataclass
class DataSet:
    name: str
    infra: object
    availability: object
    booking: object
    dsns: dict[str, str]
    organisation_id: uuid.UUID
    service_id: uuid.UUID
    services: list[uuid.UUID]
    agents: list[str]
    motif_id: str
    lieu_id: str
    usager_ids: list[str]
    build: dict = field(default_factory=dict)
    sizes: dict = field(default_factory=dict)
    counts: dict = field(default_factory=dict)

    def stop(self) -> None:
        for svc in (self.booking, self.availability):
            svc.stop()
        self.infra.close()


def _say(text: str) -> None:
    print(text, flush=True)


def build(name: str, shape: data.Shape | None, seed: int) -> DataSet:
    """Start the set's servers and services, then load it: the large organisation, and the country if `shape`."""
    from tests.support.infra import start_infra
    from tests.support.service import start_service

    infra = start_infra()
    services_up = []
    try:
        env = {"RDV_NOW": data.NOW.isoformat(), "RDV_NOW_ANCHOR": str(time.time())}
        services_up.append(start_service("availability", infra, env=env))
        services_up.append(start_service("booking", infra, env={**env, "AVAILABILITY_URL": services_up[0].base_url}))
        return _load(name, shape, seed, infra, *services_up)
    except BaseException:
        for svc in services_up:
            svc.stop()
        infra.close()
        raise


def _load(name: str, shape: data.Shape | None, seed: int, infra, availability, booking) -> DataSet:
    from bench import creneaux, usagers
    from tests.support.service import make_identity

    dsns = {"availability": availability.database_url, "booking": booking.database_url,
            "usagers": infra.migrated_database("usagers"), "reporting": infra.migrated_database("reporting")}
    rng = random.Random(seed)  # the same large organisation in both sets
    uid = lambda: uuid.UUID(int=rng.getrandbits(128), version=4)  # noqa: E731
    organisation_id, services = uid(), [uid() for _ in range(8)]
    agents, rare = [str(uid()) for _ in range(100)], [str(uid()) for _ in range(100)]
    admin = make_identity(organisation_id=organisation_id, role="admin", service_ids=[services[0]])
    steps: dict = {}
    started = time.perf_counter()
    with availability.client(admin) as c:
        ids = creneaux.seed(c, "/v1", agents, rare, str(services[0]), rng)
    creneaux.load_rdvs(availability.database_url, organisation_id, agents, ids["motif"], ids["lieu"], rng)
    steps["large organisation: catalogue, plages, absences (API), 6 weeks ahead"] = time.perf_counter() - started
    started = time.perf_counter()
    usagers.load(dsns["usagers"], organisation_id=organisation_id, count=FOCUS_USAGERS, other_count=0,
                 services=services, rng=rng)
    with psycopg.connect(data.plain(dsns["usagers"])) as conn:
        focus_usagers = [r[0].hex for r in conn.execute(
            "select id from usagers where organisation_id = %s order by id", (organisation_id,))]
    steps["large organisation: 200 000 usagers (COPY)"] = time.perf_counter() - started
    focus = data.Org(organisation_id.hex, services[0].hex, [uuid.UUID(ids["motif"]).hex],
                     uuid.UUID(ids["lieu"]).hex, [uuid.UUID(a).hex for a in agents], focus_usagers)
    _names(dsns["reporting"], organisation_id, services, agents, ids)
    if shape:
        _say(f"{name}: the country around the large organisation ({shape})")
        steps.update({k: v for k, v in data.load_national(
            dsns, shape, focus, focus_per_day=FOCUS_PER_DAY, small_start=YEAR[0], focus_last=YEAR[1], rng=rng,
            say=_say).items() if k != "rdvs"})
    else:
        started = time.perf_counter()
        with data.RdvSink(dsns) as sink:
            data.write_rdvs(sink, [data.Activity(focus, FOCUS_PER_DAY, YEAR[0], YEAR[1])], rng)
        steps["large organisation: a year of RDVs (COPY)"] = time.perf_counter() - started
    started = time.perf_counter()
    data.vacuum_analyze(dsns)
    steps["vacuum analyze"] = time.perf_counter() - started
    dataset = DataSet(name, infra, availability, booking, dsns, organisation_id, services[0], services, agents,
                      ids["motif"], ids["lieu"], [str(uuid.UUID(u)) for u in focus_usagers[:64]], steps,
                      data.sizes(dsns), _counts(dsns))
    _say(f"{name}: built in {sum(steps.values()):.0f} s, {sum(dataset.sizes.values()) / 1e9:.2f} GB, "
         f"{dataset.counts}")
    return dataset


def _names(dsn: str, organisation_id: uuid.UUID, services: list[uuid.UUID], agents: list[str], ids: dict) -> None:
    """The names reporting's projections hold for the large organisation (export and statistics join them)."""
    with psycopg.connect(data.plain(dsn)) as conn, conn.cursor() as cur:
        cur.execute("insert into organisations (id, name, slug, timezone) values (%s, 'Département du Nord', "
                    "'nord', 'Europe/Paris')", (organisation_id,))
        cur.executemany("insert into services (id, organisation_id, name) values (%s, %s, %s)",
                        [(s, organisation_id, f"Service {i}") for i, s in enumerate(services)])
        cur.executemany("insert into agents (id, organisation_id, first_name, last_name) values (%s, %s, %s, %s)",
                        [(a, organisation_id, "Camille", f"Agent{i}") for i, a in enumerate(agents)])
        cur.execute("insert into motifs (id, organisation_id, name, service_id, location_type) "
                    "values (%s, %s, 'Entretien', %s, 'public_office')", (ids["motif"], organisation_id, services[0]))
        cur.execute("insert into lieux (id, organisation_id, name) values (%s, %s, 'Maison des solidarités')",
                    (ids["lieu"], organisation_id))


def _counts(dsns: dict[str, str]) -> dict[str, int]:
    queries = {"booking": "select count(*) from rdvs", "usagers": "select count(*) from usagers",
               "availability": "select count(*) from absences"}
    out = {}
    for service, sql in queries.items():
        with psycopg.connect(data.plain(dsns[service])) as conn:
            out[service] = conn.execute(sql).fetchone()[0]
    with psycopg.connect(data.plain(dsns["availability"])) as conn:
        out["agents"] = conn.execute("select count(distinct agent_id) from plages").fetchone()[0]
        out["organisations"] = conn.execute("select count(distinct organisation_id) from plages").fetchone()[0]
    return {"RDVs": out["booking"], "usagers": out["usagers"], "absences": out["availability"],
            "agents": out["agents"], "organisations": out["organisations"]}


# ---------------------------------------------------------------- the figures
def cpu_seconds(ds: DataSet, *, backends_only: bool = False) -> float:
    """CPU spent so far by this process and the set's PostgreSQL: load-independent costs.

    `backends_only`: only the backends of open client connections, without the server's own workers
    (checkpointer, autovacuum), whose work after a bulk load would be counted against millisecond
    queries; for measures whose connections stay open throughout.
    """
    pg = ds.infra.pg.proc.pid
    if not backends_only:
        return time.process_time() + sum(cpu_by_kind([pg]).values())
    ticks, total = os.sysconf("SC_CLK_TCK"), 0.0
    for pid in descendants(pg):
        try:
            title = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if "127.0.0.1(" in title or "[local]" in title:  # "postgres: user db host(port) state"
            total += (int(stat[11]) + int(stat[12])) / ticks
    return time.process_time() + total


async def creneaux_search(ds: DataSet, runs: int) -> tuple[list[float], float]:
    """ms per 7-day search over the 100 agents, through the use case the route runs; CPU ms per search."""
    from bench.creneaux import WINDOW, ZONE
    from services.availability.service_layer import creneaux
    from shared.db import Database
    from shared.identity import Identity

    db = Database(ds.dsns["availability"], pool_size=4)
    identity = Identity(kind="agent", organisation_id=ds.organisation_id, agent_id=uuid.uuid4(), role="admin",
                        timezone=ZONE, holiday_zone="metropole")
    agents = [uuid.UUID(a) for a in ds.agents]
    timings = []
    try:
        for i in range(runs + 5):
            if i == 5:
                cpu = cpu_seconds(ds, backends_only=True)
            started = time.perf_counter()
            await creneaux.search(db=db, identity=identity, motif_id=uuid.UUID(ds.motif_id), first=WINDOW[0],
                                  last=WINDOW[1], agent_ids=agents, now=data.NOW)
            if i >= 5:
                timings.append((time.perf_counter() - started) * 1000)
        cpu = (cpu_seconds(ds, backends_only=True) - cpu) * 1000 / runs
    finally:
        await db.dispose()
    return timings, cpu


async def book(ds: DataSet, round_: int, count: int, clients: int = 8) -> dict:
    """`count` bookings through the booking service, on free slots of week `round_` after BOOKING_WEEK."""
    from bench.booking import wait_caught_up
    from shared.identity import headers_for
    from tests.support.service import make_identity

    admin = make_identity(organisation_id=ds.organisation_id, role="admin", service_ids=[ds.service_id])
    monday = BOOKING_WEEK + timedelta(weeks=round_)
    slots = [(agent, data._Instants()(monday + timedelta(days=d), s)[0].replace(" ", "T").replace("+00", "Z"))
             for d in range(5) for s in range(len(data.SLOTS)) for agent in ds.agents][:count]
    roots = [ds.booking.proc.pid, ds.availability.proc.pid, ds.infra.pg.proc.pid]
    waiter = SimpleNamespace(booking_db=ds.dsns["booking"], nats_url=ds.infra.nats_url)
    latencies, statuses = [], {}
    queue = list(reversed(slots))
    async with httpx.AsyncClient(base_url=ds.booking.base_url, timeout=30) as http:
        async def client():
            while queue:
                agent, starts = queue.pop()
                body = {"motif_id": ds.motif_id, "lieu_id": ds.lieu_id, "agent_ids": [agent],
                        "usager_ids": [random.choice(ds.usager_ids)], "starts_at": starts}
                started = time.perf_counter()
                resp = await http.post("/v1/rdvs", json=body, headers=headers_for(admin))
                latencies.append((time.perf_counter() - started) * 1000)
                statuses[resp.status_code] = statuses.get(resp.status_code, 0) + 1
                if resp.status_code != 201 and statuses[resp.status_code] == 1:
                    _say(f"  booking answered {resp.status_code}: {resp.text[:200]}")

        await wait_caught_up(waiter)
        before = cpu_by_kind(roots)
        await asyncio.gather(*(client() for _ in range(clients)))
        await wait_caught_up(waiter)
        after = cpu_by_kind(roots)
    created = max(1, statuses.get(201, 0))
    by_kind = {k: (after[k] - before.get(k, 0.0)) * 1000 / created for k in after}
    return {"cpu_ms": sum(by_kind.values()), "by_kind": by_kind, "latencies": latencies, "statuses": statuses}


async def usager_search(ds: DataSet, queries: dict[str, list[str]]) -> dict[str, tuple]:
    """p50, p95 (ms) by kind of query and scope (bench.usagers' measure), then CPU ms per query by kind
    (organisation scope), over connections kept open, so that only the backends' work is counted."""
    from bench.usagers import measure
    from services.usagers.service_layer.unit_of_work import unit_of_work
    from services.usagers.service_layer.usagers import search_usagers
    from shared.db import Database
    from shared.identity import Identity

    rows = await measure(ds.dsns["usagers"], ds.organisation_id, ds.services, queries)
    out = {f"{label} ({scope})": (p50, p95) for label, scope, _n, p50, p95, _max, _found in rows}
    db = Database(ds.dsns["usagers"], pool_size=2)
    admin = Identity(organisation_id=ds.organisation_id, agent_id=uuid.uuid4(), role="admin",
                     service_ids=ds.services[:2])
    try:
        for label, qs in queries.items():
            for q in qs[:10]:  # warm-up: connections, plans
                await search_usagers(uow=unit_of_work(db), identity=admin, q=q, scope="organisation", page=1,
                                     per_page=20)
            cpu = cpu_seconds(ds, backends_only=True)
            for q in qs:
                await search_usagers(uow=unit_of_work(db), identity=admin, q=q, scope="organisation", page=1,
                                     per_page=20)
            out[f"CPU per query: {label}"] = ((cpu_seconds(ds, backends_only=True) - cpu) * 1000 / len(qs),) * 2
    finally:
        await db.dispose()
    return out


async def stats(ds: DataSet, runs: int) -> tuple[list[float], float]:
    """ms per statistics of the year, by motif and by week (the use case the route runs); CPU ms each."""
    from services.reporting.domain.scope import RdvFilters, Viewer
    from services.reporting.service_layer.stats import compute_stats
    from services.reporting.service_layer.unit_of_work import ReportingUnitOfWork
    from shared.db import Database

    db = Database(ds.dsns["reporting"], pool_size=4, unit_of_work=ReportingUnitOfWork)
    viewer = Viewer(ds.organisation_id, uuid.uuid4(), True)
    filters = RdvFilters(from_day=YEAR[0], to_day=YEAR[1])
    timings = []
    try:
        for i in range(runs + 2):
            if i == 2:
                cpu = cpu_seconds(ds, backends_only=True)
            started = time.perf_counter()
            for group_by in ("motif", "week"):
                result = await compute_stats(uow=db.uow(), viewer=viewer, filters=filters,
                                             timezone="Europe/Paris",
                                             group_by=group_by, now=data.NOW)
            if i >= 2:
                timings.append((time.perf_counter() - started) * 1000)
        cpu = (cpu_seconds(ds, backends_only=True) - cpu) * 1000 / runs
    finally:
        await db.dispose()
    ds.counts["year"] = result["total"]
    return timings, cpu


def export(ds: DataSet, out: Path) -> tuple[float, float, int]:
    """Seconds (wall, CPU) to write the year's XLSX (the export job's code), and its rows."""
    from services.reporting.adapters.xlsx_export import write_rdv_export
    from services.reporting.domain.scope import RdvFilters, Viewer

    started, cpu = time.perf_counter(), cpu_seconds(ds)
    rows = write_rdv_export(dsn=data.plain(ds.dsns["reporting"]), viewer=Viewer(ds.organisation_id, uuid.uuid4(), True),
                            filters=RdvFilters(from_day=YEAR[0], to_day=YEAR[1]), timezone="Europe/Paris",
                            today=data.NOW.date(), organisation_name="Bench", path=out)
    seconds, cpu = time.perf_counter() - started, cpu_seconds(ds) - cpu
    out.unlink(missing_ok=True)
    return seconds, cpu, rows


def measure(sets: list[DataSet], rounds: int, runs: int) -> dict:
    """Every figure on every set, the sets taking turns so that both see the same machine load."""
    from bench.usagers import make_queries

    figures: dict = {ds.name: {"creneaux": [], "creneaux_cpu": [], "booking": [], "stats": [], "stats_cpu": [],
                               "export": [], "usagers": []} for ds in sets}
    queries = make_queries(sets[0].dsns["usagers"], sets[0].organisation_id, USAGER_QUERIES,
                           random.Random(7))
    out = Path(tempfile.mkdtemp(prefix="rdv-bench-scale-"))
    try:
        for round_ in range(rounds):
            for ds in (sets if round_ % 2 == 0 else sets[::-1]):  # neither set always first
                _say(f"round {round_ + 1}/{rounds}, {ds.name}")
                f = figures[ds.name]
                timings, cpu = asyncio.run(creneaux_search(ds, runs))
                f["creneaux"] += timings
                f["creneaux_cpu"].append(cpu)
                f["booking"].append(asyncio.run(book(ds, round_, BOOKINGS)))
                f["usagers"].append(asyncio.run(usager_search(ds, queries)))
                timings, cpu = asyncio.run(stats(ds, max(5, runs // 10)))
                f["stats"] += timings
                f["stats_cpu"].append(cpu)
                f["export"].append(export(ds, out / f"{ds.name}.xlsx"))
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return figures


# ---------------------------------------------------------------- plans
_OLD_BUSY = ("select a.agent_id, b.starts_at, b.ends_at from busy_rdvs b "
             "cross join lateral unnest(b.agent_ids) as a(agent_id) where b.agent_ids && %(agents)s::uuid[] "
             "and b.starts_at < %(end)s and b.ends_at > %(start)s and b.status = any(%(active)s) "
             "and a.agent_id = any(%(agents)s)")
_NEW_BUSY = ("select agent_id, starts_at, ends_at from busy_agents where agent_id = any(%(agents)s) "
             "and ends_at > %(start)s and starts_at < %(end)s and status = any(%(active)s)")
_NAMES = ("select u.id from usagers u where u.anonymized_at is null "
          "and u.search @@ rdv_org_query(%(org)s, to_tsquery('simple', %(names)s))")
_COUNT = "select count(*) from usagers u where u.organisation_id = %(org)s and u.anonymized_at is null"
_WEEKS = ("select to_char(date_trunc('week', f.starts_at at time zone 'Europe/Paris'), 'YYYY-MM-DD'), f.status, "
          "count(*) from rdv_facts f where f.organisation_id = %(org)s and f.starts_at >= %(first)s "
          "and f.starts_at < %(last)s group by 1, 2")


def plans(ds: DataSet) -> list[str]:
    """EXPLAIN (ANALYZE, BUFFERS) of the queries fixed for scale on `ds`: the busy RDVs of the créneaux
    search (through busy_rdvs' GIN index, then busy_agents) and the statistics by week (heap fetches,
    as through the former narrow index, then index-only), the old way and the new; the usager search
    by first + last name and its total without a query (the old way's index is gone: its plans are in
    the notes)."""
    from bench.creneaux import WINDOW

    start = datetime.combine(WINDOW[0], datetime.min.time(), data.ZONE)
    params = {"agents": [uuid.UUID(a) for a in ds.agents], "start": start,
              "end": start + timedelta(days=7), "active": ["unknown", "seen", "noshow"],
              "org": ds.organisation_id, "first": datetime.combine(YEAR[0], datetime.min.time(), data.ZONE),
              "last": datetime.combine(YEAR[1] + timedelta(days=1), datetime.min.time(), data.ZONE),
              "names": "'elodie':* & 'mart':*"}
    cases = [("créneaux busy RDVs, before (busy_rdvs, GIN on agent_ids)", "availability", _OLD_BUSY, None),
             ("créneaux busy RDVs, after (busy_agents, btree on agent_id, ends_at)", "availability", _NEW_BUSY, None),
             ("statistics by week, before (heap fetch per fact)", "reporting", _WEEKS,
              "set enable_indexonlyscan = off"),
             ("statistics by week, after (covering index)", "reporting", _WEEKS, None),
             ("usager search 'Élodie Mart', after (words keyed by organisation)", "usagers", _NAMES, None),
             ("usager search without a query, its total, after (partial index)", "usagers", _COUNT, None)]
    out = []
    for title, service, sql, setting in cases:
        with psycopg.connect(data.plain(ds.dsns[service])) as conn:
            if setting:
                conn.execute(setting)
            for _ in range(2):  # the second, warm
                lines = [r[0] for r in conn.execute("explain (analyze, buffers, costs off) " + sql, params)]
        keep = [line for line in lines if "->" in line or not line.startswith(" ")]
        keep = [line for line in keep if not line.startswith(("Planning", "Buffers", "Sort Key", "Group Key"))]
        out.append(f"{title}:\n```\n" + "\n".join(
            line if len(line) < 130 else line[:127] + "..." for line in keep[:8]) + "\n```")
    return out


# ---------------------------------------------------------------- the table
def rows_of(figures: dict) -> list[tuple[str, float, float, str]]:
    """(figure, small, national, unit) — medians across the rounds."""
    def of(name: str) -> dict:
        f = figures[name]
        booked = f["booking"]
        out = {"7-day créneaux search, 100 agents (use case) p50": (statistics.median(f["creneaux"]), "ms"),
               "  CPU per search (this process + PostgreSQL)": (statistics.median(f["creneaux_cpu"]), "ms"),
               "booking: CPU of every process per booking": (
                   statistics.median(b["cpu_ms"] for b in booked), "ms"),
               "booking: latency p50 (8 clients, through the booking service)": (
                   statistics.median(statistics.median(b["latencies"]) for b in booked), "ms"),
               "statistics of a year, by motif + by week (use case) p50": (statistics.median(f["stats"]), "ms"),
               "  CPU per statistics (this process + PostgreSQL)": (statistics.median(f["stats_cpu"]), "ms"),
               "export of the year's RDVs to XLSX (job's code)": (min(e[0] for e in f["export"]), "s"),
               "  CPU per export (this process + PostgreSQL)": (min(e[1] for e in f["export"]), "s")}
        for label in f["usagers"][0]:
            name = f"usager search: {label}" if label.startswith("CPU") else f"usager search: {label} p50"
            out[name] = (statistics.median(r[label][0] for r in f["usagers"]), "ms")
        return out

    small, national = of("small"), of("national")
    return [(k, small[k][0], national[k][0], small[k][1]) for k in small]


def render(sets: list[DataSet], figures: dict, args, load_before: float) -> tuple[str, bool]:
    rows = rows_of(figures)
    # The verdict is on the CPU figures: wall times on this shared machine move with the other work
    # running (both are printed).
    ok = all(n / s <= TARGET_RATIO for name, s, n, _u in rows if s > 0 and "CPU" in name)
    small, national = sets
    lines = ["| figure | small | national | ratio | <= 1.5 |", "|---|---:|---:|---:|---|"]
    for name, s, n, unit in rows:
        ratio = n / s if s else float("nan")
        if "CPU" not in name:
            name += " (wall)"
        lines.append(f"| {name} | {s:.{2 if unit == 's' else 1}f} {unit} | {n:.{2 if unit == 's' else 1}f} {unit} "
                     f"| {ratio:.2f} | {'yes' if ratio <= TARGET_RATIO else 'NO'} |")
    per_process = []
    for ds in sets:
        kinds: dict = {}
        for b in figures[ds.name]["booking"]:
            for k, v in b["by_kind"].items():
                kinds.setdefault(k, []).append(v)
        per_process.append(f"{ds.name}: " + ", ".join(
            f"{k} {statistics.median(v):.1f}"
            for k, v in sorted(kinds.items(), key=lambda kv: -statistics.median(kv[1]))
            if statistics.median(v) >= 0.05) + " ms")
    statuses = {ds.name: {} for ds in sets}
    for ds in sets:
        for b in figures[ds.name]["booking"]:
            for k, v in b["statuses"].items():
                statuses[ds.name][k] = statuses[ds.name].get(k, 0) + v

    def fmt(n: int) -> str:
        return f"{n:,}".replace(",", " ")

    def describe(ds: DataSet) -> str:
        c = ds.counts
        return (f"{fmt(c['organisations'])} organisation(s) with plages, {fmt(c['agents'])} agents, {fmt(c['RDVs'])} "
                f"RDVs, {fmt(c['usagers'])} usagers, {fmt(c['absences'])} absences; built in "
                f"{sum(ds.build.values()):.0f} s ("
                + ", ".join(f"{k} {v:.0f} s" for k, v in ds.build.items()) + "); "
                + f"{sum(ds.sizes.values()) / 1e9:.2f} GB on disk ("
                + ", ".join(f"{k} {v / 1e9:.2f}" for k, v in ds.sizes.items()) + ")")

    shape = data.Shape().scaled(args.scale)
    verdict = (f"Every CPU ratio <= {TARGET_RATIO}: {'yes' if ok else 'NO'}. CPU = utime + stime of the benchmark "
               "process and of the set's PostgreSQL backends (/proc), which other work on the machine does not "
               "inflate; the wall times (p50) are printed beside them.")
    text = "\n".join(lines) + "\n\n" + verdict + "\n\n" + "\n".join([
        f"- small: {describe(small)}.",
        f"- national (`--scale {args.scale:g}`: {fmt(shape.organisations)} organisations, {fmt(shape.agents)} agents, "
        f"{fmt(shape.rdvs)} RDVs over {shape.years} years, {fmt(shape.usagers)} usagers asked): {describe(national)}.",
        "- The measured organisation is the same in both: 100 agents with the créneaux benchmark's plages, "
        "absences and RDVs ahead, 200 000 usagers, one year of RDVs in the small set and five in the national one "
        f"(statistics and export cover {YEAR[0]} → {YEAR[1]}: "
        f"{fmt(small.counts.get('year', 0))} RDVs).",
        "- Booking CPU per booking, by process (median of the rounds; utime + stime from /proc, read once the "
        "consumers have caught up): " + "; ".join(per_process) + f". Answers: {statuses}.",
        f"- {args.rounds} rounds, the two sets taking turns; créneaux {args.runs} searches per round, "
        f"{BOOKINGS} bookings per round, usager search {USAGER_QUERIES} queries per kind. Measured "
        f"{datetime.now():%Y-%m-%d %H:%M} on {os.cpu_count()} CPUs, load average {load_before:.1f} before and "
        f"{os.getloadavg()[0]:.1f} after (shared machine). `.venv/bin/python -m bench.scale"
        f"{f' --scale {args.scale:g}' if args.scale != 1 else ''}"
        f"{f' --rounds {args.rounds}' if args.rounds != 2 else ''}`",
    ]) + "\n\nPlans on the national set, the way before the fixes for scale and the way now (EXPLAIN (ANALYZE, " \
        "BUFFERS), second run; availability migration 0004, reporting migration 0003, usagers migration 0003):\n\n" \
        + "\n\n".join(figures["plans"]) + "\n"
    return text, ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0,
                        help="fraction of the issue's national counts (1.0: 2 000 organisations, 20 000 agents, "
                             "10 M RDVs, 3 M usagers)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--runs", type=int, default=100, help="créneaux searches per round")
    parser.add_argument("--seed", type=int, default=2027)
    parser.add_argument("--no-write", action="store_true", help="do not update bench/RESULTS.md")
    args = parser.parse_args(argv)
    load_before = os.getloadavg()[0]
    sets: list[DataSet] = []
    try:
        sets.append(build("small", None, args.seed))
        sets.append(build("national", data.Shape().scaled(args.scale), args.seed))
        figures = measure(sets, args.rounds, args.runs)
        try:
            figures["plans"] = plans(sets[1])
        except Exception as exc:  # the figures stand without the plans
            figures["plans"] = [f"(plans not available: {exc!r:.300})"]
    finally:
        for ds in sets:
            ds.stop()
    text, ok = render(sets, figures, args, load_before)
    print()
    print(text)
    if not args.no_write:
        write_section("scale", "Scale: small vs national data set", text)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
