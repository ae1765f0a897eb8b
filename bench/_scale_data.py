"""The data sets of `bench/scale.py`, loaded with COPY into the services' own (migrated) databases.

Both sets hold the same "large organisation" (the one measured: 100 agents with the créneaux
benchmark's plages and absences, 200 000 usagers, about 100 000 RDVs a year); the national set
adds its earlier years and the rest of the country around it: other organisations with their
agents, plages, absences, usagers and RDVs over the same five years. Every RDV goes where the
events would have put it: booking's `rdvs` and `rdv_agents`, availability's `busy_rdvs`,
reporting's `rdv_facts`, usagers' `rdv_usagers`. Rows are written as COPY text, one generator
feeding every database at once. The national tables are loaded without their indexes and
constraints, which are then built back from the catalogue's definitions (`strip`, `build_back`):
a bulk load indexed row by row slows to a crawl once the indexes outgrow the shared buffers.
"""
from __future__ import annotations

import random
import time
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import psycopg

from bench._bulk import build_back, plain, strip

ZONE = ZoneInfo("Europe/Paris")
NOW = datetime(2027, 3, 1, 8, tzinfo=ZONE)
HORIZON_DAYS = 42  # RDVs already booked ahead, for every organisation
SLOTS = [(h, m) for h in (9, 10, 11, 14, 15, 16) for m in (0, 30)]  # 30-min RDVs in the plages' hours
PAST = [("seen", 70), ("excused", 8), ("revoked", 10), ("noshow", 7), ("unknown", 5)]
ACTIVE = {"unknown", "seen", "noshow"}


@dataclass(frozen=True)
class Shape:
    """The national set: the issue's figures by default, `scaled()` for a cheaper run."""

    organisations: int = 2_000
    agents: int = 20_000
    rdvs: int = 10_000_000
    usagers: int = 3_000_000
    years: int = 5

    def scaled(self, factor: float) -> "Shape":
        return Shape(max(2, round(self.organisations * factor)), max(20, round(self.agents * factor)),
                     max(1000, round(self.rdvs * factor)), max(1000, round(self.usagers * factor)), self.years)


@dataclass
class Org:
    """An organisation as the generator sees it: ids only, as 32-digit hex (PostgreSQL's uuid input)."""

    id: str
    service: str
    motifs: list[str]
    lieu: str
    agents: list[str]
    usagers: list[str]


def hexid(rng: random.Random) -> str:
    return f"{rng.getrandbits(128):032x}"


def working_days(first: date, last: date) -> list[date]:
    days, day = [], first
    while day <= last:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


class _Instants:
    """'YYYY-MM-DD HH:MM:SS+00' of a local day and slot, computed once each (DST handled by zoneinfo)."""

    def __init__(self):
        self.cache: dict = {}

    def __call__(self, day: date, slot: int) -> tuple[str, str]:
        key = (day, slot)
        if key not in self.cache:
            h, m = SLOTS[slot]
            start = datetime(day.year, day.month, day.day, h, m, tzinfo=ZONE).astimezone(timezone.utc)
            self.cache[key] = (f"{start:%Y-%m-%d %H:%M:%S}+00",
                               f"{start + timedelta(minutes=30):%Y-%m-%d %H:%M:%S}+00")
        return self.cache[key]


class RdvSink:
    """Five COPY streams in four databases, fed row by row from one generator."""

    def __init__(self, dsns: dict[str, str]):
        self.dsns = dsns
        self.rows = 0
        self.instants = _Instants()

    def __enter__(self):
        self.conns = {k: psycopg.connect(plain(v), autocommit=True) for k, v in self.dsns.items()
                      if k in ("booking", "availability", "reporting", "usagers")}
        self.copies = []

        def copy(service: str, sql: str):
            cm = self.conns[service].cursor().copy(sql)
            self.copies.append(cm)
            return cm.__enter__()

        self.rdvs = copy("booking", "copy rdvs (id, organisation_id, motif_id, service_id, lieu_id, agent_ids, "
                                    "usager_ids, starts_at, ends_at, status, origin, created_at, created_by, version) "
                                    "from stdin")
        # One COPY at a time per connection: rdv_agents has its own. Its foreign key to rdvs is not
        # checked row by row (replica role: no RI triggers): both come from the same rows, and the two
        # streams would otherwise race, rdv_agents' check seeing rdvs before it commits.
        self.conns["booking_agents"] = psycopg.connect(plain(self.dsns["booking"]), autocommit=True)
        self.conns["booking_agents"].execute("set session_replication_role = replica")
        self.rdv_agents = copy("booking_agents", "copy rdv_agents (rdv_id, agent_id, during, active) from stdin")
        self.busy = copy("availability", "copy busy_rdvs (id, organisation_id, agent_ids, starts_at, ends_at, status, "
                                         "version, event_at, motif_id, lieu_id) from stdin")
        self.facts = copy("reporting", "copy rdv_facts (id, organisation_id, service_id, motif_id, lieu_id, agent_ids, "
                                       "usager_ids, origin, created_by, created_at, starts_at, ends_at, "
                                       "duration_minutes, status, version) from stdin")
        self.links = copy("usagers", "copy rdv_usagers (usager_id, rdv_id, organisation_id, service_id) from stdin")
        self.lines: list[list[str]] = [[] for _ in range(5)]
        return self

    def write(self, org: Org, agent: str, usager: str, motif: str, starts: str, ends: str, status: str,
              origin: str, created: str, rid: str) -> None:
        active = "t" if status in ACTIVE else "f"
        self.lines[0].append(f"{rid}\t{org.id}\t{motif}\t{org.service}\t{org.lieu}\t{{{agent}}}\t{{{usager}}}\t"
                             f"{starts}\t{ends}\t{status}\t{origin}\t{created}\t{agent}\t1\n")
        self.lines[1].append(f"{rid}\t{agent}\t[\"{starts}\",\"{ends}\")\t{active}\n")
        self.lines[2].append(f"{rid}\t{org.id}\t{{{agent}}}\t{starts}\t{ends}\t{status}\t1\t{created}\t{motif}\t"
                             f"{org.lieu}\n")
        self.lines[3].append(f"{rid}\t{org.id}\t{org.service}\t{motif}\t{org.lieu}\t{{{agent}}}\t{{{usager}}}\t"
                             f"{origin}\t{agent}\t{created}\t{starts}\t{ends}\t30\t{status}\t1\n")
        self.lines[4].append(f"{usager}\t{rid}\t{org.id}\t{org.service}\n")
        self.rows += 1
        if len(self.lines[0]) >= 2000:
            self.flush()

    def flush(self) -> None:
        """Send the buffered lines, a few hundred kilobytes per COPY message rather than one row each."""
        for stream, lines in zip((self.rdvs, self.rdv_agents, self.busy, self.facts, self.links), self.lines):
            if lines:
                stream.write("".join(lines))
                lines.clear()

    def __exit__(self, *exc):
        try:
            if not exc[0]:
                self.flush()
            for cm in self.copies:
                cm.__exit__(*exc)
        finally:
            for conn in self.conns.values():
                conn.close()


@dataclass
class Activity:
    """An organisation's RDVs: `per_day` for each of its agents on each working day from `first` to `last`."""

    org: Org
    per_day: float
    first: date
    last: date


def write_rdvs(sink: RdvSink, activities: list[Activity], rng: random.Random, say=None) -> None:
    """Day after day, every agent of every organisation in a shuffled order: an organisation's RDVs lie
    among everybody else's on disk, as they do when the whole country books at once. Each agent's RDVs
    of a day take distinct slots, so none overlap."""
    agents = [(a, agent) for a in activities for agent in a.org.agents]
    rng.shuffle(agents)
    first, last = min(a.first for a in activities), max(a.last for a in activities)
    today, slots = NOW.date(), range(len(SLOTS))
    statuses, weights = [s for s, _ in PAST], [w for _, w in PAST]
    days = working_days(first, last)
    for n, day in enumerate(days):
        created = f"{day - timedelta(days=14)} 09:00:00+00"
        for activity, agent in agents:
            if day < activity.first or day > activity.last:
                continue
            count = int(activity.per_day)
            if rng.random() < activity.per_day - count:
                count += 1
            if not count:
                continue
            org = activity.org
            for slot in rng.sample(slots, count):
                starts, ends = sink.instants(day, slot)
                status = rng.choices(statuses, weights)[0] if day < today else "unknown"
                sink.write(org, agent, rng.choice(org.usagers), rng.choice(org.motifs), starts, ends, status,
                           "usager" if rng.random() < 0.3 else "agent", created, hexid(rng))
        if say and n % 130 == 0:
            say(f"  RDVs: {sink.rows} rows, day {day} ({n + 1}/{len(days)})")


def rdvs_per_agent_per_day(shape: Shape, focus_rdvs: int) -> float:
    """The other organisations' density, so that the national set holds `shape.rdvs` RDVs in all."""
    others_agents = max(1, shape.agents - 100)
    days = len(working_days(history_start(shape.years), horizon_end()))
    return max(0.0, (shape.rdvs - focus_rdvs) / others_agents / days)


def history_start(years: int) -> date:
    return date(NOW.year - years, NOW.month, NOW.day)


def horizon_end() -> date:
    return NOW.date() + timedelta(days=HORIZON_DAYS)


# ---------------------------------------------------------------- the rest of the country
def other_organisations(shape: Shape, rng: random.Random) -> list[Org]:
    """`shape.organisations - 1` organisations sharing `shape.agents - 100` agents evenly."""
    n = max(1, shape.organisations - 1)
    agents = max(n, shape.agents - 100)
    orgs = []
    for i in range(n):
        share = agents // n + (1 if i < agents % n else 0)
        orgs.append(Org(hexid(rng), hexid(rng), [hexid(rng) for _ in range(3)], hexid(rng),
                        [hexid(rng) for _ in range(share)], []))
    return orgs


def load_usagers(dsn: str, orgs: list[Org], total: int, rng: random.Random) -> None:
    """`total` usagers spread over `orgs` (bench.usagers' generator: names, phones, emails, services)."""
    from bench.usagers import make_rows

    each = max(1, total // len(orgs))
    with psycopg.connect(plain(dsn), autocommit=True) as conn, conn.cursor() as cur:
        with cur.copy("copy usagers (id, organisation_id, first_name, last_name, birth_name, birth_date, "
                      "email, phone, address, service_ids) from stdin") as copy:
            for org in orgs:
                for row in make_rows(each, uuid.UUID(org.id), [uuid.UUID(org.service)], rng):
                    copy.write_row(row)
                    org.usagers.append(row[0].hex)


def load_plages(dsn: str, orgs: list[Org], *, first: date) -> None:
    """Two weekly plages per agent, mornings and afternoons, every motif of the organisation."""
    weekly = '{"every": "week", "interval": 1, "on": ["monday", "tuesday", "wednesday", "thursday", "friday"], ' \
             '"until": null}'
    rng = random.Random(len(orgs))
    with psycopg.connect(plain(dsn), autocommit=True) as conn:
        with conn.cursor().copy("copy plages (id, organisation_id, agent_id, lieu_id, motif_ids, title, first_day, "
                                "start_time, end_time, recurrence, timezone) from stdin") as copy:
            for org in orgs:
                motifs = "{" + ",".join(org.motifs) + "}"
                for agent in org.agents:
                    for start, end in (("09:00", "12:00"), ("14:00", "17:00")):
                        copy.write(f"{hexid(rng)}\t{org.id}\t{agent}\t{org.lieu}\t{motifs}\tPermanence\t{first}\t"
                                   f"{start}\t{end}\t{weekly}\tEurope/Paris\n")


def load_absences(dsn: str, orgs: list[Org], *, first: date, last: date, rng: random.Random,
                  per_year: int = 6) -> int:
    """Single-day absences, `per_year` per agent on working days between `first` and `last`."""
    days = working_days(first, last)
    per_agent = min(len(days), round(per_year * len(days) / 261))
    count = 0
    with psycopg.connect(plain(dsn), autocommit=True) as conn:
        with conn.cursor().copy("copy absences (id, organisation_id, agent_id, title, first_day, start_time, "
                                "end_day, end_time, last_day, timezone) from stdin") as copy:
            for org in orgs:
                for agent in org.agents:
                    for day in rng.sample(days, per_agent):
                        copy.write(f"{hexid(rng)}\t{org.id}\t{agent}\tCongé\t{day}\t08:00\t{day}\t18:00\t{day}\t"
                                   "Europe/Paris\n")
                        count += 1
    return count


# The tables the national set fills, by database: loaded bare (see `strip`).
NATIONAL_TABLES = {"usagers": ["usagers", "rdv_usagers"],
                   "availability": ["plages", "absences", "busy_rdvs", "busy_agents"],
                   "booking": ["rdvs", "rdv_agents"], "reporting": ["rdv_facts"]}


def load_national(dsns: dict[str, str], shape: Shape, focus: Org, *, focus_per_day: float, small_start: date,
                  focus_last: date, rng: random.Random, say=print) -> dict[str, float]:
    """The focus organisation's RDVs over the years up to `focus_last` (its earlier absences from
    `small_start` back) and every other organisation, all interleaved; return seconds per step."""
    steps: dict[str, float] = {}
    started = time.perf_counter()
    builds = [strip(dsns[service], tables) for service, tables in NATIONAL_TABLES.items()]
    orgs = other_organisations(shape, rng)
    load_usagers(dsns["usagers"], orgs, shape.usagers - 200_000 if shape.usagers > 400_000 else shape.usagers,
                 rng)
    steps["usagers (COPY)"] = time.perf_counter() - started
    say(f"  usagers in {steps['usagers (COPY)']:.0f} s")
    started = time.perf_counter()
    first = history_start(shape.years)
    load_plages(dsns["availability"], orgs, first=first)
    absences = load_absences(dsns["availability"], orgs, first=first, last=horizon_end(), rng=rng)
    absences += load_absences(dsns["availability"], [focus], first=first, last=small_start - timedelta(days=1),
                              rng=rng)
    steps["plages and absences (COPY)"] = time.perf_counter() - started
    say(f"  plages, {absences} absences in {steps['plages and absences (COPY)']:.0f} s")
    started = time.perf_counter()
    density = rdvs_per_agent_per_day(shape, round(focus_per_day * 100 * len(working_days(first, focus_last))))
    with RdvSink(dsns) as sink:
        write_rdvs(sink, [Activity(focus, focus_per_day, first, focus_last)]
                   + [Activity(org, density, first, horizon_end()) for org in orgs], rng, say=say)
        rows = sink.rows
    steps["RDVs (COPY into 4 databases)"] = time.perf_counter() - started
    say(f"  {rows} RDVs in {steps['RDVs (COPY into 4 databases)']:.0f} s")
    started = time.perf_counter()
    build_back(builds, say)
    steps["indexes and constraints, built after"] = time.perf_counter() - started
    say(f"  indexes and constraints in {steps['indexes and constraints, built after']:.0f} s")
    steps["rdvs"] = rows
    return steps
