"""Sessions and throttling as time passes: the gateway restarted on the same database with a later clock."""
from __future__ import annotations

import uuid

import psycopg

from shared.settings import SERVICE_NAMES
from tests.integration.gateway.conftest import launch_gateway
from tests.integration.gateway.echo import dead_url

T0 = "2027-03-01T08:00:00+01:00"


def _keys(db_url: str, key: str) -> int:
    with psycopg.connect(db_url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        return conn.execute("select count(*) from idempotency_keys where key = %s", (key,)).fetchone()[0]


def _env(now: str) -> dict[str, str]:
    return {"RDV_NOW": now, **{f"{n.upper()}_URL": dead_url() for n in SERVICE_NAMES}}


def test_sessions_expire_after_14_idle_days_and_throttling_after_15_minutes(infra):
    gw = launch_gateway(infra, _env(T0))
    try:
        org, admin = gw.new_organisation()
        agent, _ = gw.new_agent(admin)
        kept = admin
        with gw.client() as c:
            idle = c.post("/api/v1/auth/login", json={"email": agent["email"], "password": "Agent-Pass-2027!"}).json()
            for _ in range(10):
                c.post("/api/v1/auth/login", json={"email": agent["email"], "password": "Wrong-Pass-2027!"})
            assert c.post("/api/v1/auth/login", json={"email": agent["email"],
                                                      "password": "Agent-Pass-2027!"}).status_code == 429
    finally:
        gw.stop()

    # 10 days later: the admin uses their token (it stays alive); the agent does not.
    gw = launch_gateway(infra, _env("2027-03-11T08:00:00+01:00"), db_url=gw.db_url)
    try:
        with gw.client(kept) as c:
            assert c.get("/api/v1/me").status_code == 200
        with gw.client() as c:  # the 15-minute window has long passed
            assert c.post("/api/v1/auth/login", json={"email": agent["email"],
                                                      "password": "Agent-Pass-2027!"}).status_code == 200
    finally:
        gw.stop()

    # 15 days after the agent's last use, 5 after the admin's.
    gw = launch_gateway(infra, _env("2027-03-16T09:00:00+01:00"), db_url=gw.db_url)
    try:
        with gw.client(kept) as c:  # a keyed write: the caller's lookup claims the key in the same statement
            first = c.post("/api/v1/services", json={"name": "Accueil"}, headers={"Idempotency-Key": "kept-key"})
            again = c.post("/api/v1/services", json={"name": "Accueil"}, headers={"Idempotency-Key": "kept-key"})
            assert first.status_code == again.status_code == 201 and first.json() == again.json()
            assert again.headers.get("idempotent-replayed") == "true"
        with gw.client(idle["token"]) as c:
            keyed = c.post("/api/v1/services", json={"name": "X"}, headers={"Idempotency-Key": "idle-key"})
            assert keyed.status_code == 401 and "14 jours" in keyed.json()["error"]["message"]
            assert c.get("/api/v1/me").status_code == 401
        assert _keys(gw.db_url, "idle-key") == 0  # a refused caller claimed nothing
        with gw.client(kept) as c:
            assert c.get("/api/v1/me").status_code == 200
    finally:
        gw.stop()
    assert org["id"] and uuid.UUID(agent["id"])
