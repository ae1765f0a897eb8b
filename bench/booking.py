"""Booking benchmark: 64 concurrent clients booking through the gateway, half on distinct slots,
half fighting over 100 slots.

    .venv/bin/python -m bench.booking [--seconds 15] [--clients 64] [--direct]

Starts the whole system as tests/support/system.py does (`rdv up` on free ports, embedded
PostgreSQL + NATS, RDV_NOW = 2027-03-01T08:00+01:00), sets up one organisation (agents,
lieu, 5-minute motif, plages) through the API, then runs the clients for a fixed time.
`--direct` (or a gateway that does not come up) measures against booking + availability
alone, started as tests/support/service.py does, and says so.

Prints: RDV/s (201 per second; target >= 200), p95 latency of a booking request (<= 50 ms),
overlaps after the run (SQL on the booking database; must be 0), CPU time the whole system
spends per booking (utime + stime of every process of the system from /proc, including reaped
children, read once every consumer has caught up; <= 8 ms), and PostgreSQL's raw INSERT rate
into a table with the same exclusion constraint, measured in the same run, with the ratio.
Writes the table into bench/RESULTS.md (section "Booking").
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import aiohttp
import httpx
import psycopg

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
SERVICES = ("gateway", "availability", "booking", "usagers", "notifications", "reporting")
START, END = "<!-- booking:start -->", "<!-- booking:end -->"
TARGET_RATE, TARGET_P95_MS, TARGET_CPU_MS = 200.0, 50.0, 8.0
DAY = datetime.fromisoformat("2027-03-02T00:00:00+01:00")  # a Tuesday, the day after RDV_NOW
OPEN, CLOSE = "07:00", "21:00"
SLOT_MINUTES = 5
SLOTS_PER_DAY = (21 - 7) * 60 // SLOT_MINUTES
DAYS = 7
FIGHT_AGENTS, FIGHT_SLOTS_EACH = 10, 10  # 100 contested slots
USAGERS = 64


# ---------------------------------------------------------------- CPU accounting (/proc)
CLK_TCK = os.sysconf("SC_CLK_TCK")


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                ppid = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            tree.setdefault(ppid, []).append(int(entry))
    return tree


def _label(pid: int) -> str:
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return "?"
    words = [a.decode(errors="replace") for a in argv if a]
    if "service" in words:
        return words[words.index("service") + 1]
    if "up" in words:
        return "supervisor"
    name = Path(words[0]).name if words else "?"
    return "postgres" if name.startswith("postgres") else name


def system_cpu(roots: list[int]) -> dict[str, float]:
    """utime+stime+cutime+cstime of every live process under `roots` (reaped children included once),
    in seconds, by process kind (service name, postgres, nats-server...)."""
    tree, todo, seen = _children(), list(roots), set()
    by_kind: dict[str, float] = {}
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks = sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
        except (OSError, IndexError, ValueError):
            continue
        kind = _label(pid)
        by_kind[kind] = by_kind.get(kind, 0.0) + ticks / CLK_TCK
        todo.extend(tree.get(pid, []))
    return by_kind


# ---------------------------------------------------------------- the two ways to reach booking
@dataclass
class Target:
    mode: str  # "gateway" or "direct"
    base_url: str
    booking_db: str
    roots: list[int]
    headers_for_booking: callable  # () -> headers (gateway: bearer; direct: fresh signed identity)
    path: str
    setup: "Setup"
    stop: callable
    nats_url: str


@dataclass
class Setup:
    motif_id: str = ""
    lieu_id: str = ""
    distinct_agents: list[str] = field(default_factory=list)
    fight_agents: list[str] = field(default_factory=list)
    usager_ids: list[str] = field(default_factory=list)


def _plage_bodies(agent_id: str, lieu_id: str, motif_id: str) -> dict:
    return {"agent_id": agent_id, "lieu_id": lieu_id, "motif_ids": [motif_id], "title": "Permanence",
            "first_day": DAY.date().isoformat(), "start_time": OPEN, "end_time": CLOSE,
            "recurrence": {"every": "week", "interval": 1, "until": None,
                           "on": ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]}}


def _ok(resp: httpx.Response, what: str) -> dict:
    if resp.status_code >= 300:
        raise RuntimeError(f"{what}: {resp.status_code} {resp.text[:300]}")
    return resp.json()


def start_gateway_target(infra, n_distinct: int) -> Target:
    from tests.support.system import start_system

    system = start_system(infra=infra)
    org = system.new_organisation()
    setup = Setup()
    with org.admin() as c:
        service = _ok(c.post("/api/v1/services", json={"name": "Bench", "short_name": "B"}), "service")
        setup.lieu_id = _ok(c.post("/api/v1/lieux", json={"name": "Guichet", "address": "1 place de la Mairie"}),
                            "lieu")["id"]
        setup.motif_id = _ok(c.post("/api/v1/motifs", json={
            "name": "Guichet", "service_id": service["id"], "duration_minutes": SLOT_MINUTES,
            "location_type": "public_office"}), "motif")["id"]
    agents = []
    for _ in range(n_distinct + FIGHT_AGENTS):
        agent, _token = org.new_agent(role="basic", service_ids=[service["id"]])
        agents.append(agent["id"])
    with org.admin() as c:
        for agent_id in agents:
            _ok(c.post("/api/v1/plages", json=_plage_bodies(agent_id, setup.lieu_id, setup.motif_id)), "plage")
    setup.distinct_agents, setup.fight_agents = agents[:n_distinct], agents[n_distinct:]
    with org.admin() as c:  # real usagers, so that every consumer finds who the RDV is for
        for n in range(USAGERS):
            setup.usager_ids.append(_ok(c.post("/api/v1/usagers", json={
                "first_name": "Camille", "last_name": f"Usager{n}", "phone": f"06{n:08d}",
                "email": f"usager{n}@bench.rdv"}), "usager")["id"])
    token = org.admin_token
    return Target("gateway", system.base_url, system.env["BOOKING_DATABASE_URL"], [system.proc.pid],
                  lambda: {"Authorization": f"Bearer {token}"}, "/api/v1/rdvs", setup, system.stop,
                  infra.nats_url)


def start_direct_target(infra, n_distinct: int) -> Target:
    from shared.identity import headers_for
    from tests.support.service import make_identity, start_service

    env = {"RDV_NOW": "2027-03-01T08:00:00+01:00", "RDV_NOW_ANCHOR": str(time.time())}
    availability = start_service("availability", infra, env=env)
    booking = start_service("booking", infra, env={**env, "AVAILABILITY_URL": availability.base_url})
    service_id = uuid.uuid4()
    admin = make_identity(role="admin", service_ids=[service_id])
    setup = Setup()
    with availability.client(admin) as c:
        setup.lieu_id = _ok(c.post("/v1/lieux", json={"name": "Guichet", "address": "1 place de la Mairie"}),
                            "lieu")["id"]
        setup.motif_id = _ok(c.post("/v1/motifs", json={
            "name": "Guichet", "service_id": str(service_id), "duration_minutes": SLOT_MINUTES,
            "location_type": "public_office"}), "motif")["id"]
        agents = [str(uuid.uuid4()) for _ in range(n_distinct + FIGHT_AGENTS)]
        for agent_id in agents:
            _ok(c.post("/v1/plages", json=_plage_bodies(agent_id, setup.lieu_id, setup.motif_id)), "plage")
    setup.distinct_agents, setup.fight_agents = agents[:n_distinct], agents[n_distinct:]

    def stop():
        booking.stop()
        availability.stop()

    return Target("direct (booking + availability, no gateway)", booking.base_url, booking.database_url,
                  [booking.proc.pid, availability.proc.pid], lambda: headers_for(admin), "/v1/rdvs", setup, stop,
                  infra.nats_url)


# ---------------------------------------------------------------- the load
@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    created: int = 0
    taken: int = 0
    other: dict = field(default_factory=dict)


def _slot(index: int) -> str:
    day, slot = divmod(index, SLOTS_PER_DAY)
    return (DAY + timedelta(days=day, hours=7, minutes=SLOT_MINUTES * slot)).isoformat()


async def run_load(target: Target, *, clients: int, seconds: float) -> tuple[Tally, float]:
    tally = Tally()
    setup = target.setup
    deadline = time.perf_counter() + seconds
    # aiohttp: the clients share the machine's 2 cores with the system, and httpx would spend
    # about 0.6 ms of CPU per request where aiohttp spends 0.1 ms.
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(base_url=target.base_url, connector=connector,
                                     timeout=aiohttp.ClientTimeout(total=30)) as http:
        async def book(agent_id: str, starts_at: str) -> None:
            usager = random.choice(setup.usager_ids) if setup.usager_ids else str(uuid.uuid4())
            body = {"motif_id": setup.motif_id, "lieu_id": setup.lieu_id, "agent_ids": [agent_id],
                    "usager_ids": [usager], "starts_at": starts_at}
            started = time.perf_counter()
            async with http.post(target.path, json=body, headers=target.headers_for_booking()) as resp:
                text = await resp.text()
                status = resp.status
            tally.latencies.append(time.perf_counter() - started)
            if status == 201:
                tally.created += 1
            elif status == 409 and json.loads(text)["error"]["code"] == "slot_taken":
                tally.taken += 1
            else:
                key = f"{status} {text[:80]}"
                tally.other[key] = tally.other.get(key, 0) + 1

        async def distinct(agent_id: str) -> None:
            index = 0
            while time.perf_counter() < deadline and index < SLOTS_PER_DAY * DAYS:
                await book(agent_id, _slot(index))
                index += 1

        async def fighter(seed: int) -> None:
            rng = random.Random(seed)
            while time.perf_counter() < deadline:
                await book(rng.choice(setup.fight_agents), _slot(rng.randrange(FIGHT_SLOTS_EACH) * 6))

        started = time.perf_counter()
        half = clients // 2
        await asyncio.gather(*(distinct(setup.distinct_agents[i]) for i in range(half)),
                             *(fighter(i) for i in range(clients - half)))
        return tally, time.perf_counter() - started


def transactions(booking_db: str) -> dict[str, int]:
    """Transactions (commits + rollbacks) so far in each database of the system, by service."""
    url = booking_db.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url) as conn:
        rows = conn.execute("select datname, xact_commit + xact_rollback from pg_stat_database "
                            "where datname like %s", (url.rsplit("/", 1)[1].split("booking")[0] + "%",)).fetchall()
    # database names are <prefix><service>_<suffix>, the same prefix for every service
    return {next((s for s in SERVICES if s in name), name): count for name, count in rows}


def overlaps(booking_db: str) -> int:
    with psycopg.connect(booking_db.replace("postgresql+psycopg://", "postgresql://")) as conn:
        return conn.execute(
            "select count(*) from rdv_agents a join rdv_agents b on a.agent_id = b.agent_id "
            "and a.rdv_id < b.rdv_id and a.during && b.during where a.active and b.active").fetchone()[0]


async def wait_caught_up(target: Target, timeout: float = 120.0) -> float:
    """Wait until booking's outbox is sent and every consumer of BOOKING has acked everything."""
    import nats

    started = time.perf_counter()
    url = target.booking_db.replace("postgresql+psycopg://", "postgresql://")
    nc = await nats.connect(target.nats_url)
    try:
        js = nc.jetstream()
        while time.perf_counter() - started < timeout:
            with psycopg.connect(url) as conn:
                backlog = conn.execute("select count(*) from outbox where sent_at is null").fetchone()[0]
            pending = 0
            for info in await js.consumers_info("BOOKING"):
                pending += info.num_pending + info.num_ack_pending
            if backlog == 0 and pending == 0:
                break
            await asyncio.sleep(0.2)
    finally:
        await nc.close()
    return time.perf_counter() - started


# ---------------------------------------------------------------- PostgreSQL alone
async def raw_insert_rate(infra, *, clients: int, seconds: float) -> float:
    """Single-row autocommit INSERTs into a table with the same exclusion constraint, same mix of clients."""
    url = infra.create_database("bench_raw").replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("create extension if not exists btree_gist")
        conn.execute("create table rdv_agents (rdv_id uuid primary key, agent_id uuid not null, "
                     "during tstzrange not null, active boolean not null, "
                     "exclude using gist (agent_id with =, during with &&) where (active))")
    fight_agents = [uuid.uuid4() for _ in range(FIGHT_AGENTS)]
    done = 0
    deadline = time.perf_counter() + seconds

    async def insert(conn, agent, index) -> None:
        nonlocal done
        start = DAY + timedelta(minutes=SLOT_MINUTES * index)
        try:
            await conn.execute("insert into rdv_agents values (%s, %s, tstzrange(%s, %s, '[)'), true)",
                               (uuid.uuid4(), agent, start, start + timedelta(minutes=SLOT_MINUTES)))
            done += 1
        except (psycopg.errors.ExclusionViolation, psycopg.errors.DeadlockDetected):
            pass  # refused (a deadlock between two conflicting inserts is a refusal too)

    async def distinct() -> None:
        agent, index = uuid.uuid4(), 0
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            while time.perf_counter() < deadline:
                await insert(conn, agent, index)
                index += 1

    async def fighter(seed: int) -> None:
        rng = random.Random(seed)
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            while time.perf_counter() < deadline:
                await insert(conn, rng.choice(fight_agents), rng.randrange(FIGHT_SLOTS_EACH) * 6)

    started = time.perf_counter()
    half = clients // 2
    await asyncio.gather(*(distinct() for _ in range(half)), *(fighter(i) for i in range(clients - half)))
    return done / (time.perf_counter() - started)


# ---------------------------------------------------------------- report
def p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[q - 1] * 1000 if len(values) > 1 else float("nan")


def table(rows: list[tuple[str, str, str]]) -> str:
    lines = ["| measure | value | target |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return "\n".join(lines)


def write_results(text: str) -> None:
    current = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    section = f"{START}\n## Booking\n\n{text}\n{END}"
    if START in current and END in current:
        head, rest = current.split(START, 1)
        current = head + section + rest.split(END, 1)[1]
    else:
        current = current.rstrip() + "\n\n" + section + "\n"
    RESULTS.write_text(current)


async def main_async(args) -> None:
    from tests.support.infra import start_infra

    load_before = os.getloadavg()[0]
    infra = start_infra()
    target = None
    try:
        half = args.clients // 2
        if not args.direct:
            try:
                target = start_gateway_target(infra, half)
            except Exception as exc:  # the gateway or a route is not ready: measure booking directly
                print(f"gateway not usable ({exc!r:.300}); measuring booking + availability directly")
        if target is None:
            target = start_direct_target(infra, half)
        roots = target.roots + [pid for pid in (infra.pg.proc.pid if infra.pg else None,
                                                infra.nats.proc.pid if infra.nats else None) if pid]
        print(f"mode: {target.mode}; warming up")
        await run_load(target, clients=8, seconds=2)  # connections, caches, JIT of the path
        await wait_caught_up(target)
        cpu_before, xacts_before = system_cpu(roots), transactions(target.booking_db)
        tally, elapsed = await run_load(target, clients=args.clients, seconds=args.seconds)
        catch_up = await wait_caught_up(target)
        cpu_after, xacts_after = system_cpu(roots), transactions(target.booking_db)
        xacts = {k: v - xacts_before.get(k, 0) for k, v in xacts_after.items()}
        by_kind = {k: cpu_after[k] - cpu_before.get(k, 0.0) for k in cpu_after}
        cpu = sum(by_kind.values())
        overlap_count = overlaps(target.booking_db)
        mode = target.mode
        target.stop()
        target = None
        raw = await raw_insert_rate(infra, clients=args.clients, seconds=min(args.seconds, 8))
    finally:
        if target is not None:
            target.stop()
        infra.close()

    requests = len(tally.latencies)
    rate = tally.created / elapsed
    p95 = p(tally.latencies, 95)
    cpu_ms = cpu * 1000 / max(tally.created, 1)
    rows = [
        ("mode", mode, ""),
        ("clients", f"{args.clients} ({args.clients // 2} on distinct slots, {args.clients - args.clients // 2} "
                    f"fighting over {FIGHT_AGENTS * FIGHT_SLOTS_EACH} slots)", ""),
        ("duration", f"{elapsed:.1f} s", ""),
        ("bookings (201)", f"{tally.created}", ""),
        ("refused slot_taken (409)", f"{tally.taken}", ""),
        ("other answers", f"{sum(tally.other.values())} {tally.other if tally.other else ''}", "0"),
        ("RDV/s (201 per second)", f"{rate:.0f}", f">= {TARGET_RATE:.0f}"),
        ("requests/s (201 + 409)", f"{requests / elapsed:.0f}", ""),
        ("latency p50 / p95 / p99", f"{p(tally.latencies, 50):.1f} / {p95:.1f} / {p(tally.latencies, 99):.1f} ms",
         f"p95 <= {TARGET_P95_MS:.0f} ms"),
        ("overlapping active RDVs after the run (SQL)", f"{overlap_count}", "0"),
        ("consumers caught up after the run in", f"{catch_up:.1f} s", ""),
        ("system CPU per booking (all processes, /proc)", f"{cpu_ms:.1f} ms "
                                                          f"({cpu:.1f} s CPU / {tally.created} RDVs)",
         f"<= {TARGET_CPU_MS:.0f} ms"),
        ("  of which, per booking", ", ".join(f"{k} {v * 1000 / max(tally.created, 1):.1f}"
                                              for k, v in sorted(by_kind.items(), key=lambda kv: -kv[1])
                                              if v > 0) + " ms", ""),
        ("PostgreSQL transactions per booking (commits + rollbacks; autocommit statements count one each)",
         f"{sum(xacts.values()) / max(tally.created, 1):.1f} ("
         + ", ".join(f"{k} {v / max(tally.created, 1):.1f}" for k, v in sorted(xacts.items(), key=lambda kv: -kv[1]))
         + ")", ""),
        ("PostgreSQL raw INSERT rate, same exclusion constraint, same clients", f"{raw:.0f} rows/s", ""),
        ("ratio system / raw PostgreSQL", f"{rate / raw:.1%}" if raw else "n/a", ""),
    ]
    text = table(rows)
    text += (f"\n\nMeasured {datetime.now().strftime('%Y-%m-%d %H:%M')} on {os.cpu_count()} CPU(s), load average "
             f"{load_before:.1f} before the run and {os.getloadavg()[0]:.1f} after it (the benchmark client runs on "
             "the same machine). `.venv/bin/python -m bench.booking`\n")
    print(text)
    if not args.no_write:
        write_results(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--direct", action="store_true", help="booking + availability alone, no gateway")
    parser.add_argument("--no-write", action="store_true", help="do not update bench/RESULTS.md")
    args = parser.parse_args()
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
