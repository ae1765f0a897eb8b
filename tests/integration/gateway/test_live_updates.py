"""The agenda's live updates over real HTTP and NATS: a signed-in page is told of its organisation's RDV
events only; without a session, 401."""
from __future__ import annotations

import asyncio
import json
import uuid

import httpx
import nats

from shared.events import new_event


def _rdv(org_id: str, rdv_id: uuid.UUID) -> dict:
    return {"id": str(rdv_id), "organisation_id": org_id, "motif_id": str(uuid.uuid4()), "lieu_id": None,
            "agent_ids": [str(uuid.uuid4())], "usager_ids": [], "starts_at": "2027-03-01T09:00:00+01:00",
            "ends_at": "2027-03-01T09:30:00+01:00", "status": "unknown", "created_at": "2027-02-01T09:00:00+01:00",
            "version": 1}


async def _first_change(base_url: str, cookies: dict, nats_url: str, org_id: str) -> dict:
    mine, theirs = uuid.uuid4(), uuid.uuid4()
    nc = await nats.connect(nats_url)
    try:
        async with httpx.AsyncClient(base_url=base_url, cookies=cookies, timeout=10) as client:
            async with client.stream("GET", "/web/events") as resp:
                assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/event-stream")
                lines = resp.aiter_lines()
                assert await anext(lines) == "retry: 3000"  # subscribed by now: the stream has begun
                for org, rdv_id in ((str(uuid.uuid4()), theirs), (org_id, mine)):
                    event = new_event("booking.rdv.created", organisation_id=org,
                                      data={"rdv": _rdv(org, rdv_id), "origin": "agent"})
                    await nc.publish(event.subject, event.to_json())
                await nc.flush()
                async for line in lines:
                    if line.startswith("data: "):
                        return {**json.loads(line[6:]), "expected": str(mine)}
    finally:
        await nc.close()
    raise AssertionError("no event")


def test_a_page_is_told_of_its_organisations_rdv_events(gateway, infra):
    org, admin = gateway.new_organisation(name="En direct")
    agent, _ = gateway.new_agent(admin)
    with gateway.client() as c:
        assert c.get("/web/events").status_code == 401
        login = c.post("/api/v1/auth/login", json={"email": agent["email"], "password": "Agent-Pass-2027!"})
        cookies = {"rdv_session": login.cookies["rdv_session"]}
    change = asyncio.run(_first_change(gateway.base_url, cookies, infra.nats_url, org["id"]))
    assert change == {"rdv_id": change["expected"], "type": "booking.rdv.created", "expected": change["expected"]}
