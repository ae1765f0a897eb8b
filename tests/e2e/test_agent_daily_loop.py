"""The agent's daily loop through the gateway with every service running (RDV_NOW: Monday 2027-03-01 08:00
Paris): an RDV recorded after the fact tells nobody, a coming one does; the demo seed brings three months of
past RDVs with their outcomes."""
from __future__ import annotations

import asyncio
import time
from collections import Counter

import httpx

from rdv.demo import DemoOptions, create_demo
from rdv.demo_data import DEMO_LOGINS
from tests.support.system import wait_until


def _inbox(c: httpx.Client, **params) -> list[dict]:
    resp = c.get("/dev/messages", params=params, headers={"Accept": "application/json"})
    assert resp.status_code == 200, resp.text
    return resp.json()


def _counter(org):
    """A motif, a lieu, a basic agent open on Thursday 4 March 09:00-12:00, an usager with phone and email."""
    with org.admin() as c:
        service = c.post("/api/v1/services", json={"name": "Service social", "short_name": "SSD"}).json()
        motif = c.post("/api/v1/motifs", json={"name": "Entretien", "service_id": service["id"],
                                               "duration_minutes": 30, "location_type": "public_office"}).json()
        lieu = c.post("/api/v1/lieux", json={"name": "MDS", "address": "1 rue de la Mairie, 75001 Paris"}).json()
    agent, _ = org.new_agent(role="basic", service_ids=[service["id"]])
    with org.admin() as c:
        plage = c.post("/api/v1/plages", json={"agent_id": agent["id"], "lieu_id": lieu["id"],
                                               "motif_ids": [motif["id"]], "title": "Matin",
                                               "first_day": "2027-03-04", "start_time": "09:00",
                                               "end_time": "12:00", "recurrence": None})
        assert plage.status_code == 201, plage.text
        usager = c.post("/api/v1/usagers", json={"first_name": "Élodie", "last_name": "Martin",
                                                 "phone": "06 12 34 56 78", "email": "elodie.martin@example.fr"})
        assert usager.status_code == 201, usager.text
    return {"motif_id": motif["id"], "lieu_id": lieu["id"], "agent_ids": [agent["id"]],
            "usager_ids": [usager.json()["id"]]}


def test_an_rdv_recorded_after_the_fact_notifies_nobody(system):
    org = system.new_organisation()
    base = _counter(org)
    with org.admin() as c:
        def book(starts_at: str, **extra) -> dict:
            resp = c.post("/api/v1/rdvs", json={**base, "starts_at": starts_at, **extra})
            assert resp.status_code == 201, resp.text
            return resp.json()

        before = book("2027-03-04T09:00:00+01:00")
        # The usager's SMS and email and the agent's email: the notifications consumer knows everything now.
        wait_until(lambda: len(_inbox(c, rdv_id=before["id"])) == 3, timeout=30, message="first confirmations")
        walk_in = book("2027-02-26T16:00:00+01:00", allow_outside_opening=True)  # last Friday, after hours
        assert walk_in["warnings"] == ["outside_opening"]
        assert walk_in["display_status"] == "a_renseigner"
        assert walk_in["allowed_statuses"] == ["seen", "noshow", "excused", "revoked"]
        inside = book("2027-03-01T07:30:00+01:00", allow_outside_opening=True)  # this morning, already started
        for rdv, status in ((walk_in, "noshow"), (inside, "excused")):  # a cancellation tells nobody either
            changed = c.post(f"/api/v1/rdvs/{rdv['id']}/status", json={"status": status})
            assert changed.status_code == 200 and changed.json()["allowed_statuses"] == ["unknown"], changed.text
        after = book("2027-03-04T10:00:00+01:00")
        # Events are applied in order: once the later RDV's messages are there, the past ones were handled.
        wait_until(lambda: len(_inbox(c, rdv_id=after["id"])) == 3, timeout=30, message="later confirmations")
        for rdv in (walk_in, inside):
            assert _inbox(c, rdv_id=rdv["id"]) == []
            assert c.get(f"/api/v1/rdvs/{rdv['id']}/notifications").json() == []


def test_the_demo_seed_brings_three_months_of_outcomes(system):
    started = time.monotonic()
    options = DemoOptions(now=system.env["RDV_NOW"], platform_key=system.env["RDV_PLATFORM_KEY"])

    async def seed():
        async with httpx.AsyncClient(base_url=system.base_url, timeout=30) as client:
            await create_demo(client, options)

    asyncio.run(seed())
    seconds = time.monotonic() - started
    print(f"demo seeded in {seconds:.1f} s")
    token = system.login(*DEMO_LOGINS["admin"])
    with system.client(token) as c:
        past = []
        for page in (1, 2, 3):
            listed = c.get("/api/v1/rdvs", params={"from": "2026-11-01", "to": "2027-02-28", "per_page": 200,
                                                   "page": page}).json()
            past += listed["items"]
        assert len(past) == listed["total"]
        shown = Counter(r["display_status"] for r in past)
        assert set(shown) == {"seen", "noshow", "excused", "revoked", "a_renseigner"}, shown
        assert 150 <= len(past) <= 400 and shown["seen"] > len(past) / 2, (len(past), shown)
        assert min(r["starts_at"] for r in past) < "2026-12-05"  # about three months back
        to_fill = [r for r in past if r["display_status"] == "a_renseigner"]
        assert min(r["starts_at"] for r in to_fill) > "2027-02-20"  # only the last days are left to fill in
        assert all(r["allowed_statuses"] == ["seen", "noshow", "excused", "revoked"] for r in to_fill)
        # An usager's fiche has a history, counted by outcome.
        usager_id = Counter(u for r in past for u in r["usager_ids"]).most_common(1)[0][0]
        mine = Counter(r["display_status"] for r in past if usager_id in r["usager_ids"])

        def fiche():
            body = c.get(f"/api/v1/usagers/{usager_id}").json()
            return len(body["rdvs_past"]) >= sum(mine.values()) and body

        body = wait_until(fiche, timeout=30, message="the usager's history")
        assert sum(mine.values()) > 5
        decided = ("seen", "noshow", "excused", "revoked")
        assert {k: body["stats"][k] for k in decided} == {k: mine[k] for k in decided}, (body["stats"], mine)
        assert body["stats"]["a_renseigner"] >= mine["a_renseigner"]  # and today's, still to come
        # The coming demo RDVs are confirmed; nothing was sent about the past ones.
        coming = c.get("/api/v1/rdvs", params={"from": "2027-03-01"}).json()["items"]
        assert coming
        wait_until(lambda: all(_inbox(c, rdv_id=r["id"]) for r in coming), timeout=60, message="demo confirmations")
        past_ids = {r["id"] for r in past}
        assert not [m for m in _inbox(c, limit=1000) if m.get("rdv_id") in past_ids]
    assert seconds < 60, f"seeding the demo took {seconds:.1f} s"


def test_deleting_a_plage_asks_about_its_rdvs_then_cancels_them(system):
    """The gateway forwards `dry_run=true`; "les annuler et prévenir les usagers" = delete, then revoke each."""
    org = system.new_organisation()
    base = _counter(org)
    with org.admin() as c:
        [plage] = c.get("/api/v1/plages", params={"agent_id": base["agent_ids"][0]}).json()["items"]
        rdv = c.post("/api/v1/rdvs", json={**base, "starts_at": "2027-03-04T11:00:00+01:00"})
        assert rdv.status_code == 201, rdv.text
        rdv = rdv.json()
        dry = wait_until(lambda: (r := c.delete(f"/api/v1/plages/{plage['id']}", params={"dry_run": "true"}))
                         .json()["rdvs_orphaned"] and r, timeout=30, message="the RDV in availability's projection")
        assert dry.status_code == 200 and dry.json()["plage"] is None
        assert [r["id"] for r in dry.json()["rdvs_orphaned"]] == [rdv["id"]]
        assert c.get(f"/api/v1/plages/{plage['id']}").status_code == 200  # nothing deleted
        assert c.delete(f"/api/v1/plages/{plage['id']}").status_code == 204
        assert c.post(f"/api/v1/rdvs/{rdv['id']}/status", json={"status": "revoked"}).status_code == 200
        wait_until(lambda: {m["kind"] for m in _inbox(c, rdv_id=rdv["id"])} == {"confirmation", "cancellation"},
                   timeout=30, message="the cancellation")
