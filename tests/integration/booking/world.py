"""A small world for booking's HTTP tests: one organisation with its lieux, motifs and plages,
set up through availability's own API, and helpers to book through booking's API."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import httpx

from shared.identity import Identity
from tests.support.service import RunningService, make_identity


@dataclass
class World:
    booking: RunningService
    availability: RunningService
    timezone: str = "Europe/Paris"
    organisation_id: uuid.UUID = field(default_factory=uuid.uuid4)
    service_id: uuid.UUID = field(default_factory=uuid.uuid4)

    def __post_init__(self):
        self.admin = self.identity(role="admin")

    def identity(self, *, role: str = "basic", service_ids=None, agent_id=None, kind: str = "agent") -> Identity:
        return make_identity(organisation_id=self.organisation_id, agent_id=agent_id, role=role, kind=kind,
                             service_ids=[self.service_id] if service_ids is None else service_ids,
                             timezone=self.timezone)

    def _avail(self, path: str, body: dict) -> dict:
        with self.availability.client(self.admin) as c:
            resp = c.post(path, json=body)
        assert resp.status_code == 201, resp.text
        return resp.json()

    def lieu(self) -> str:
        return self._avail("/v1/lieux", {"name": f"Lieu {uuid.uuid4().hex[:6]}",
                                         "address": "1 rue de la Paix, Paris"})["id"]

    def motif(self, *, duration: int = 30, service_id=None, **extra) -> str:
        return self._avail("/v1/motifs", {"name": f"Motif {uuid.uuid4().hex[:6]}",
                                          "service_id": str(service_id or self.service_id),
                                          "duration_minutes": duration, "location_type": "public_office",
                                          **extra})["id"]

    def plage(self, *, agent_id, lieu_id, motif_ids, first_day: str, start: str, end: str,
              recurrence=None) -> str:
        return self._avail("/v1/plages", {"agent_id": str(agent_id), "lieu_id": lieu_id, "motif_ids": motif_ids,
                                          "title": "Permanence", "first_day": first_day, "start_time": start,
                                          "end_time": end, "recurrence": recurrence})["id"]

    def client(self, identity: Identity | None = None, **kw) -> httpx.Client:
        return self.booking.client(identity or self.admin, **kw)

    def book(self, *, motif_id, lieu_id, agent_ids, starts_at: str, usager_ids=None, identity=None,
             headers=None, **extra) -> httpx.Response:
        body = {"motif_id": motif_id, "lieu_id": lieu_id, "agent_ids": [str(a) for a in agent_ids],
                "usager_ids": [str(u) for u in (usager_ids or [uuid.uuid4()])], "starts_at": starts_at, **extra}
        with self.client(identity) as c:
            return c.post("/v1/rdvs", json=body, headers=headers or {})


@dataclass
class Desk:
    """One agent's opening on the test days at one lieu, for one motif."""

    world: World
    agent_id: uuid.UUID
    lieu_id: str
    motif_id: str

    def book(self, starts_at: str, **kw) -> httpx.Response:
        return self.world.book(motif_id=self.motif_id, lieu_id=self.lieu_id, agent_ids=[self.agent_id],
                               starts_at=starts_at, **kw)


def open_desk(world: World, *, days=("2027-03-01", "2027-03-02"), start="08:00", end="18:00",
              agent_id=None, lieu_id=None, motif_id=None, duration: int = 30) -> Desk:
    agent_id = agent_id or uuid.uuid4()
    lieu_id = lieu_id or world.lieu()
    motif_id = motif_id or world.motif(duration=duration)
    for day in days:
        world.plage(agent_id=agent_id, lieu_id=lieu_id, motif_ids=[motif_id], first_day=day, start=start, end=end)
    return Desk(world, agent_id, lieu_id, motif_id)
