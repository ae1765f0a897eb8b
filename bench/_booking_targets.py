"""The system `bench/booking.py` books against: the whole system through the gateway, or booking +
availability alone (`--direct`), each set up with one organisation (agents, lieu, a 5-minute motif,
plages every day from 07:00 to 21:00) and, through the gateway, real usagers."""
from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime

import httpx

DAY = datetime.fromisoformat("2027-03-02T00:00:00+01:00")  # a Tuesday, the day after RDV_NOW
OPEN, CLOSE = "07:00", "21:00"
SLOT_MINUTES = 5
SLOTS_PER_DAY = (21 - 7) * 60 // SLOT_MINUTES
DAYS = 7
FIGHT_AGENTS, FIGHT_SLOTS_EACH = 10, 10  # 100 contested slots
USAGERS = 64


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
