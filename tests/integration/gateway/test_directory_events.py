"""directory.* events leave the gateway through the outbox, with the contract's fields."""
from __future__ import annotations

import asyncio
import json

import nats

from tests.support.system import wait_until


async def _events_of(nats_url: str, organisation_id: str) -> list[dict]:
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        sub = await js.subscribe("directory.>", ordered_consumer=True, deliver_policy=nats.js.api.DeliverPolicy.ALL)
        found = []
        try:
            while True:
                msg = await sub.next_msg(timeout=0.5)
                body = json.loads(msg.data)
                if body.get("organisation_id") == organisation_id:
                    found.append({**body, "_msg_id": msg.headers.get("Nats-Msg-Id") if msg.headers else None})
        except (asyncio.TimeoutError, nats.errors.TimeoutError):
            pass
        await sub.unsubscribe()
        return found
    finally:
        await nc.close()


def test_directory_changes_are_published(gateway, infra):
    org, admin = gateway.new_organisation(name="Événements")
    with gateway.client(admin) as c:
        service = c.post("/api/v1/services", json={"name": "PMI", "short_name": "P"}).json()
        agent, _ = gateway.new_agent(admin, service_ids=[service["id"]], role="basic")
        c.patch("/api/v1/organisation", json={"publish_online": True, "holiday_observances": "statutory",
                                              "contact_email": " Accueil@Mairie.example "})
        c.delete(f"/api/v1/agents/{agent['id']}")

    def events():
        found = asyncio.run(_events_of(infra.nats_url, org["id"]))
        return found if len(found) >= 6 else None

    found = wait_until(events, timeout=15, message="directory events")
    types = [e["type"] for e in found]
    assert types == ["directory.organisation.created", "directory.agent.created", "directory.service.created",
                     "directory.agent.created", "directory.organisation.updated", "directory.agent.deleted"]
    assert all(e["_msg_id"] == e["id"] for e in found)
    created = found[3]["data"]["agent"]
    assert created["id"] == agent["id"] and created["service_ids"] == [service["id"]] and created["role"] == "basic"
    assert set(created) >= {"id", "email", "first_name", "last_name", "role", "service_ids"}
    assert "password" not in json.dumps(found)
    assert found[4]["data"]["organisation"]["publish_online"] is True
    # beyond the contract: the organisation's choice of holidays (statutory days only / also local ones)
    assert found[0]["data"]["organisation"]["holiday_observances"] == "local"
    assert found[4]["data"]["organisation"]["holiday_observances"] == "statutory"
    assert found[4]["data"]["organisation"]["contact_email"] == "accueil@mairie.example"  # Reply-To of its e-mails
    assert found[4]["actor"]["kind"] == "agent"
    assert found[2]["data"]["service"] == {"id": service["id"], "organisation_id": org["id"], "name": "PMI",
                                           "short_name": "P"}
