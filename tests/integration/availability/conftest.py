"""The availability service alone over HTTP, on the session's PostgreSQL and NATS.

Clock: RDV_NOW = Monday 2027-03-01 08:00 Paris, running on.
"""
from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field

import httpx
import pytest

from shared.identity import Identity
from tests.support.service import RunningService, make_identity, start_service

NOW = "2027-03-01T08:00:00+01:00"


@pytest.fixture(scope="session")
def availability(infra):
    svc = start_service("availability", infra, env={"RDV_NOW": NOW, "RDV_NOW_ANCHOR": str(time.time())})
    yield svc
    svc.stop()


@dataclass
class Org:
    """One organisation of its own per test: an admin, helpers to create what a test needs."""

    svc: RunningService
    timezone: str = "Europe/Paris"
    holiday_zone: str = "metropole"
    organisation_id: uuid.UUID = field(default_factory=uuid.uuid4)
    service_id: uuid.UUID = field(default_factory=uuid.uuid4)

    def __post_init__(self):
        self.admin = self.identity(role="admin")

    def identity(self, *, role: str = "basic", agent_id=None, kind: str = "agent") -> Identity:
        return make_identity(organisation_id=self.organisation_id, agent_id=agent_id, role=role, kind=kind,
                             service_ids=[self.service_id], timezone=self.timezone, holiday_zone=self.holiday_zone)

    def client(self, identity: Identity | None = None) -> httpx.Client:
        return self.svc.client(identity or self.admin)

    def post(self, path: str, body: dict, identity: Identity | None = None) -> dict:
        with self.client(identity) as c:
            resp = c.post(path, json=body)
        assert resp.status_code == 201, resp.text
        return resp.json()

    def get(self, path: str, identity: Identity | None = None, **params) -> httpx.Response:
        with self.client(identity) as c:
            return c.get(path, params=params)

    def lieu(self) -> str:
        return self.post("/v1/lieux", {"name": f"Lieu {uuid.uuid4().hex[:6]}", "address": "1 place de la Mairie"})["id"]

    def motif(self, *, duration: int = 30, **extra) -> str:
        return self.post("/v1/motifs", {"name": f"Motif {uuid.uuid4().hex[:6]}", "service_id": str(self.service_id),
                                        "duration_minutes": duration, "location_type": "public_office",
                                        **extra})["id"]

    def plage(self, *, agent_id, lieu_id, motif_ids, first_day: str, start: str = "09:00", end: str = "12:00",
              recurrence=None, title: str = "Permanence") -> dict:
        return self.post("/v1/plages", {"agent_id": str(agent_id), "lieu_id": lieu_id, "motif_ids": motif_ids,
                                        "title": title, "first_day": first_day, "start_time": start,
                                        "end_time": end, "recurrence": recurrence})

    def absence(self, *, agent_id, first_day: str, start: str = "00:00", end_day: str | None = None,
                end: str = "23:59", title: str = "Congé", recurrence=None) -> dict:
        return self.post("/v1/absences", {"agent_id": str(agent_id), "title": title, "first_day": first_day,
                                          "start_time": start, "end_day": end_day or first_day, "end_time": end,
                                          "recurrence": recurrence})

    def creneaux(self, motif_id: str, first: str, last: str, identity=None, **params) -> httpx.Response:
        return self.get("/v1/creneaux", identity, motif_id=motif_id, **{"from": first, "to": last}, **params)


@pytest.fixture
def org(availability) -> Org:
    return Org(availability)


WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday"]
