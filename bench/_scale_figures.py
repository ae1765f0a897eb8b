"""The figures of `bench/scale.py`, measured on one data set (`bench/_scale_sets.py`): the créneaux search,
booking through the booking service, usager search, statistics and export, with the CPU they cost."""
from __future__ import annotations

import asyncio
import os
import random
import shutil
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace

import httpx

from bench import _scale_data as data
from bench._scale_sets import YEAR, DataSet, _say
from tests.support.procs import cpu_by_kind, descendants

BOOKING_WEEK = date(2027, 4, 12)  # after the créneaux benchmark's 6 weeks: free slots
BOOKINGS = 400  # per set and round
# Usager searches per kind and round: the phone and email lookups cost about a millisecond, and the
# backends' CPU is read from /proc in 10 ms ticks.
USAGER_QUERIES = 300


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
    from bench._creneaux_data import WINDOW, ZONE
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

