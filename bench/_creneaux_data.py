"""The créneaux benchmark's data (`bench/creneaux.py`, also the large organisation of `bench/scale.py`): 100
agents with weekly plages, a 30-min motif and absences, seeded through the HTTP API (the service's or the
gateway's), and 3 000 RDVs loaded into availability's busy projection with SQL."""
from __future__ import annotations

import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Callable

import httpx
import psycopg

NOW = "2027-03-01T08:00:00+01:00"
ZONE = "Europe/Paris"
FIRST_MONDAY = date(2027, 3, 1)
WEEKS = 6
WINDOW = (date(2027, 3, 8), date(2027, 3, 14))
AGENTS = 100
RDVS = 3000
ABSENCE_SHARE = 0.10
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


def json_of(resp: httpx.Response, what: str) -> dict:
    """The answer's JSON; a refusal stops the benchmark, saying what was refused."""
    if resp.status_code >= 300:
        raise RuntimeError(f"{what}: {resp.status_code} {resp.text[:300]}")
    return resp.json()


def seed(client: httpx.Client, prefix: str, agents: list[str], rare_agents: list[str], service_id: str,
         rng: random.Random) -> dict:
    """Lieu, motifs, plages and absences through the API; return ids and counts."""
    lieu = json_of(client.post(f"{prefix}/lieux", json={"name": "Maison des solidarités", "address": "1 place de la Mairie"}),
               "lieu")["id"]
    motif = json_of(client.post(f"{prefix}/motifs", json={"name": "Entretien", "service_id": service_id,
                                                      "duration_minutes": 30, "location_type": "public_office"}),
                "motif")["id"]
    rare = json_of(client.post(f"{prefix}/motifs", json={"name": "Bilan annuel", "service_id": service_id,
                                                     "duration_minutes": 30, "location_type": "public_office"}),
               "motif")["id"]
    weekly = {"every": "week", "interval": 1, "on": WEEKDAYS, "until": None}
    plages = absences = 0
    for agent in agents:
        for start, end in (("09:00", "12:00"), ("14:00", "17:00")):
            json_of(client.post(f"{prefix}/plages", json={"agent_id": agent, "lieu_id": lieu, "motif_ids": [motif],
                                                      "title": "Permanence", "first_day": FIRST_MONDAY.isoformat(),
                                                      "start_time": start, "end_time": end, "recurrence": weekly}),
                "plage")
            plages += 1
        for day in working_days():
            if rng.random() < ABSENCE_SHARE:
                start, end = rng.choice([("08:00", "18:00"), ("09:00", "12:00"), ("13:30", "17:00")])
                json_of(client.post(f"{prefix}/absences", json={
                    "agent_id": agent, "title": "Congé", "first_day": day.isoformat(), "start_time": start,
                    "end_day": day.isoformat(), "end_time": end, "recurrence": None}), "absence")
                absences += 1
    for agent in rare_agents:
        json_of(client.post(f"{prefix}/plages", json={"agent_id": agent, "lieu_id": lieu, "motif_ids": [rare],
                                                  "title": "Bilans", "first_day": FIRST_MONDAY.isoformat(),
                                                  "start_time": "17:00", "end_time": "18:00", "recurrence": weekly}),
            "plage")
        json_of(client.post(f"{prefix}/absences", json={
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
            service = json_of(c.post("/api/v1/services", json={"name": "Solidarités", "short_name": "SOL"}), "service")
            people = []
            for i in range(2 * AGENTS):
                people.append(json_of(c.post("/api/v1/agents", json={
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
