"""The two data sets of `bench/scale.py`: each on its own embedded PostgreSQL + NATS, with availability and
booking running as services, the large organisation loaded through their API and by COPY, the country around
it by `bench/_scale_data.py`; the build time, sizes and counts kept with the set."""
from __future__ import annotations

import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import date

import psycopg

from bench import _scale_data as data
from bench._bulk import sizes, vacuum_analyze

FOCUS_USAGERS = 200_000
FOCUS_PER_DAY = 4.0  # RDVs per agent and working day in the large organisation
YEAR = (date(2026, 3, 1), date(2027, 2, 28))  # the year before NOW: statistics and export


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
    from bench import _creneaux_data as creneaux, usagers
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
    vacuum_analyze(dsns)
    steps["vacuum analyze"] = time.perf_counter() - started
    dataset = DataSet(name, infra, availability, booking, dsns, organisation_id, services[0], services, agents,
                      ids["motif"], ids["lieu"], [str(uuid.UUID(u)) for u in focus_usagers[:64]], steps,
                      sizes(dsns), _counts(dsns))
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

