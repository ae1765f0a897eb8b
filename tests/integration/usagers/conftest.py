"""The usagers service alone over HTTP, on the session's PostgreSQL and NATS.

Booking and availability events are published to NATS by the tests themselves, as those
services would (real envelopes, `Nats-Msg-Id` = event id). Clock: Monday 2027-03-01 08:00 Paris.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import psycopg
import pytest

from shared.bus import connect, ensure_streams
from shared.events import Envelope, new_event
from tests.support.service import RunningService, make_identity, start_service

NOW = "2027-03-01T08:00:00+01:00"


@pytest.fixture(scope="session")
def usagers_service(infra):
    svc = start_service("usagers", infra, env={"RDV_NOW": NOW, "RDV_NOW_ANCHOR": str(time.time())})
    yield svc
    svc.stop()


def publish(nats_url: str, *events: Envelope) -> None:
    async def _go():
        nc = await connect(nats_url, name="usagers-tests")
        try:
            js = nc.jetstream(timeout=5)
            await ensure_streams(js)
            for ev in events:
                await js.publish(ev.subject, ev.to_json(), headers={"Nats-Msg-Id": str(ev.id)})
        finally:
            await nc.close()

    # In a thread of its own, so that the tests' event loop (pytest-asyncio) is left alone.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, _go()).result()


@dataclass
class Desk:
    """One organisation seen from the usagers service: its agents, and events about it."""

    svc: RunningService
    nats_url: str
    organisation_id: uuid.UUID = field(default_factory=uuid.uuid4)
    service_id: uuid.UUID = field(default_factory=uuid.uuid4)
    admin_id: uuid.UUID = field(default_factory=uuid.uuid4)

    def identity(self, *, role: str = "admin", service_ids=None, agent_id=None, kind: str = "agent"):
        return make_identity(organisation_id=self.organisation_id, role=role, kind=kind,
                             agent_id=agent_id or (self.admin_id if kind == "agent" else None),
                             service_ids=[self.service_id] if service_ids is None else service_ids)

    def client(self, **kw):
        return self.svc.client(self.identity(**kw))

    def create(self, **body) -> dict:
        with self.client() as c:
            resp = c.post("/v1/usagers", json=body)
        assert resp.status_code == 201, resp.text
        return resp.json()

    def search(self, q: str | None = None, scope: str = "organisation", **kw) -> dict:
        params = {"scope": scope, **({"q": q} if q is not None else {})}
        with self.client(**kw) as c:
            resp = c.get("/v1/usagers", params=params)
        assert resp.status_code == 200, resp.text
        return resp.json()

    def names(self, q: str | None = None, **kw) -> list[str]:
        return [f"{u['first_name']} {u['last_name']}" for u in self.search(q, **kw)["items"]]

    def publish(self, *events: Envelope) -> None:
        publish(self.nats_url, *events)

    def rdv_event(self, kind: str, *, rdv_id: uuid.UUID, usager_ids, starts_at: datetime, version: int,
                  status: str = "unknown", motif_id: uuid.UUID | None = None, lieu_id: uuid.UUID | None = None,
                  service_id: uuid.UUID | None = None, agent_ids=None) -> Envelope:
        rdv = {"id": str(rdv_id), "organisation_id": str(self.organisation_id),
               "motif_id": str(motif_id or uuid.uuid4()), "lieu_id": str(lieu_id) if lieu_id else None,
               "agent_ids": [str(a) for a in (agent_ids or [uuid.uuid4()])],
               "usager_ids": [str(u) for u in usager_ids], "starts_at": starts_at.isoformat(),
               "ends_at": (starts_at + timedelta(minutes=30)).isoformat(), "status": status,
               "display_status": status, "context": None, "created_at": starts_at.isoformat(), "created_by": None,
               "cancelled_at": None, "service_id": str(service_id or self.service_id), "origin": "agent",
               "version": version, "duration_minutes": 30}
        data = {"rdv": rdv}
        if kind == "created":
            data["origin"] = "agent"
        elif kind == "status_changed":
            data["previous_status"] = "unknown"
        else:
            data["changes"] = {}
        return new_event(f"booking.rdv.{kind}", organisation_id=self.organisation_id, data=data)

    def outbox(self, subject: str) -> list[dict]:
        """Events of this organisation the service has published (acked by JetStream)."""
        url = self.svc.database_url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(url) as conn:
            rows = conn.execute("select payload from outbox where subject = %s and sent_at is not null "
                                "and payload->>'organisation_id' = %s order by seq",
                                (subject, str(self.organisation_id))).fetchall()
        return [r[0] for r in rows]


@pytest.fixture
def desk(usagers_service, infra) -> Desk:
    return Desk(usagers_service, infra.nats_url)
