"""Sessions and throttling as time passes: the gateway restarted on the same database with a later clock."""
from __future__ import annotations

import uuid

from shared.settings import SERVICE_NAMES
from tests.integration.gateway.conftest import launch_gateway
from tests.integration.gateway.echo import dead_url

T0 = "2027-03-01T08:00:00+01:00"


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
        with gw.client(idle["token"]) as c:
            expired = c.get("/api/v1/me")
            assert expired.status_code == 401 and "14 jours" in expired.json()["error"]["message"]
        with gw.client(kept) as c:
            assert c.get("/api/v1/me").status_code == 200
    finally:
        gw.stop()
    assert org["id"] and uuid.UUID(agent["id"])
