"""The reporting service alone over HTTP, fed with real envelopes published to the session's NATS."""
from __future__ import annotations

import tempfile
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import pytest
import pytest_asyncio

from shared.bus import connect, ensure_streams
from shared.events import new_event
from tests.support.service import make_identity, start_service
from tests.support.system import wait_until


@pytest.fixture(scope="module")
def reporting(infra):
    data_dir = tempfile.mkdtemp(prefix="rdv-reporting-")
    svc = start_service("reporting", infra, env={"RDV_DATA_DIR": data_dir,
                                                 "REPORTING_EXPORT_CLEANUP_INTERVAL_SECONDS": "0.3",
                                                 "REPORTING_EXPORT_POLL_SECONDS": "0.2"})
    svc.data_dir = data_dir
    yield svc
    svc.stop()


@pytest_asyncio.fixture(loop_scope="session")
async def js(infra):
    nc = await connect(infra.nats_url, name="reporting-tests")
    jetstream = nc.jetstream(timeout=5)
    await ensure_streams(jetstream)
    yield jetstream
    await nc.close()


async def publish(js, type_: str, organisation_id, data: dict, *, actor=None, msg_id: str | None = None):
    """Publish one envelope as a producer's outbox relay would; return it."""
    ev = new_event(type_, organisation_id=organisation_id, data=data, actor=actor)
    await js.publish(type_, ev.to_json(), headers={"Nats-Msg-Id": msg_id or str(ev.id)})
    return ev


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(timezone.utc)


@dataclass
class World:
    """One organisation and what its RDVs refer to; every id random."""

    js: object
    name: str = field(default_factory=lambda: f"Maison des solidarités {uuid.uuid4().hex[:6]}")
    timezone: str = "Europe/Paris"
    id: uuid.UUID = field(default_factory=uuid.uuid4)
    slug: str = ""
    services: dict = field(default_factory=dict)
    agents: dict = field(default_factory=dict)
    motifs: dict = field(default_factory=dict)
    lieux: dict = field(default_factory=dict)
    usagers: dict = field(default_factory=dict)
    rdvs: dict = field(default_factory=dict)

    def identity(self, *, role: str = "admin", agent: str | None = None, services: tuple[str, ...] = ()):
        return make_identity(organisation_id=self.id, role=role,
                             agent_id=self.agents[agent] if agent else uuid.uuid4(),
                             service_ids=[self.services[s] for s in services], timezone=self.timezone)

    async def organisation(self):
        self.slug = self.name.lower().replace(" ", "-")
        await publish(self.js, "directory.organisation.created", self.id, {"organisation": {
            "id": str(self.id), "name": self.name, "slug": self.slug, "timezone": self.timezone,
            "holiday_zone": "metropole", "publish_online": False}})

    async def service(self, key: str, name: str):
        self.services[key] = uuid.uuid4()
        await publish(self.js, "directory.service.created", self.id,
                      {"service": {"id": str(self.services[key]), "name": name, "short_name": key}})

    async def agent(self, key: str, first: str, last: str, services: tuple[str, ...] = ()):
        self.agents[key] = uuid.uuid4()
        await publish(self.js, "directory.agent.created", self.id, {"agent": {
            "id": str(self.agents[key]), "email": f"{key}@test.rdv", "first_name": first, "last_name": last,
            "role": "basic", "service_ids": [str(self.services[s]) for s in services]}})

    async def motif(self, key: str, name: str, service: str, location_type: str = "public_office"):
        self.motifs[key] = uuid.uuid4()
        await publish(self.js, "availability.motif.created", self.id, {"motif": {
            "id": str(self.motifs[key]), "name": name, "service_id": str(self.services[service]),
            "duration_minutes": 30, "location_type": location_type, "color": "#123456",
            "reservable_online": False, "min_booking_delay_minutes": 30, "max_booking_delay_days": 90}})

    async def lieu(self, key: str, name: str):
        self.lieux[key] = uuid.uuid4()
        await publish(self.js, "availability.lieu.created", self.id, {"lieu": {
            "id": str(self.lieux[key]), "name": name, "address": "1 rue de la Paix, 75002 Paris", "phone": None}})

    async def usager(self, key: str, first: str, last: str, birth_date: str | None = None):
        self.usagers[key] = uuid.uuid4()
        await publish(self.js, "usagers.usager.created", self.id, {"usager": {
            "id": str(self.usagers[key]), "first_name": first, "last_name": last, "birth_date": birth_date,
            "email": None, "phone": None, "notify_by_sms": True, "notify_by_email": True, "responsible_id": None,
            "organisation_id": str(self.id)}})

    def rdv_payload(self, key: str, *, motif: str, service: str, agents: list[str], usagers: list[str],
                    starts_at: str, lieu: str | None = None, status: str = "unknown", origin: str = "agent",
                    created_at: str = "2027-02-20T10:15:00+01:00", created_by: str | None = None,
                    context: str | None = None, version: int = 1, duration: int = 30) -> dict:
        rdv_id = self.rdvs.setdefault(key, uuid.uuid4())
        start = utc(starts_at)
        return {"id": str(rdv_id), "organisation_id": str(self.id), "motif_id": str(self.motifs[motif]),
                "lieu_id": str(self.lieux[lieu]) if lieu else None,
                "agent_ids": [str(self.agents[a]) for a in agents],
                "usager_ids": [str(self.usagers[u]) for u in usagers],
                "starts_at": start.isoformat(), "ends_at": (start + timedelta(minutes=duration)).isoformat(),
                "status": status, "display_status": status, "context": context,
                "created_at": utc(created_at).isoformat(),
                "created_by": str(self.agents[created_by]) if created_by else None,
                "cancelled_at": None, "service_id": str(self.services[service]), "origin": origin,
                "version": version, "duration_minutes": duration}

    async def rdv(self, key: str, **kwargs):
        payload = self.rdv_payload(key, **kwargs)
        return await publish(self.js, "booking.rdv.created", self.id,
                             {"rdv": payload, "origin": payload["origin"]})

    async def status(self, key: str, status: str, *, version: int, previous: str = "unknown", **kwargs):
        payload = self.rdv_payload(key, status=status, version=version, **kwargs)
        return await publish(self.js, "booking.rdv.status_changed", self.id,
                             {"rdv": payload, "previous_status": previous})


def stats(svc, identity, **params) -> dict:
    with svc.client(identity) as c:
        resp = c.get("/v1/stats", params=params)
    assert resp.status_code == 200, resp.text
    return resp.json()


def wait_total(svc, identity, total: int, **params) -> dict:
    return wait_until(lambda: (lambda s: s if s["total"] == total else None)(stats(svc, identity, **params)),
                      timeout=20, message=f"{total} RDV dans les statistiques")
