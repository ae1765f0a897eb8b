"""Booking through the gateway with every service running (RDV_NOW: Monday 2027-03-01 08:00 Paris)."""
from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

from tests.support.system import wait_until


def _desk(org, *, days=("2027-03-01", "2027-03-02")):
    with org.admin() as c:
        service = c.post("/api/v1/services", json={"name": "État civil", "short_name": "EC"}).json()
        motif = c.post("/api/v1/motifs", json={"name": "Carte d'identité", "service_id": service["id"],
                                               "duration_minutes": 20, "location_type": "public_office",
                                               "reservable_online": True, "min_booking_delay_minutes": 60}).json()
        lieu = c.post("/api/v1/lieux", json={"name": "Mairie annexe", "address": "2 place du Marché, 75011 Paris"}).json()
    agent, token = org.new_agent(role="basic", service_ids=[service["id"]])
    with org.system.client(token) as c:
        for day in days:
            plage = c.post("/api/v1/plages", json={"agent_id": agent["id"], "lieu_id": lieu["id"],
                                                   "motif_ids": [motif["id"]], "title": "Guichet", "first_day": day,
                                                   "start_time": "09:00", "end_time": "12:00", "recurrence": None})
            assert plage.status_code == 201, plage.text
    return service, motif, lieu, agent, token


def _usager(c, first_name="Élodie") -> str:
    resp = c.post("/api/v1/usagers", json={"first_name": first_name, "last_name": "Martin",
                                           "phone": "06 12 34 56 78"})
    assert resp.status_code == 201, resp.text
    return resp.json()["id"]


def test_agent_books_one_slot_others_are_refused_then_outcome(system):
    org = system.new_organisation()
    service, motif, lieu, agent, token = _desk(org)
    with system.client(token) as c:
        usager = _usager(c)
        body = {"motif_id": motif["id"], "lieu_id": lieu["id"], "agent_ids": [agent["id"]],
                "usager_ids": [usager], "starts_at": "2027-03-01T09:40:00+01:00"}

        def book(_):
            with system.client(token) as cc:
                return cc.post("/api/v1/rdvs", json=body)

        with ThreadPoolExecutor(10) as pool:
            results = list(pool.map(book, range(10)))
        created = [r for r in results if r.status_code == 201]
        assert len(created) == 1, [r.text for r in results]
        rdv = created[0].json()
        for r in results:
            if r.status_code != 201:
                assert r.status_code == 409 and r.json()["error"]["code"] == "slot_taken"
                assert r.json()["error"]["details"]["rdv_id"] == rdv["id"]
        assert rdv["display_status"] == "a_renseigner" and rdv["created_by"] == agent["id"]
        assert rdv["ends_at"] == "2027-03-01T10:00:00+01:00"
        outside = c.post("/api/v1/rdvs", json={**body, "starts_at": "2027-03-01T14:00:00+01:00"})
        assert outside.status_code == 409 and outside.json()["error"]["code"] == "outside_opening"
        seen = c.post(f"/api/v1/rdvs/{rdv['id']}/status", json={"status": "seen"})
        assert seen.status_code == 200 and seen.json()["display_status"] == "seen"
        listed = c.get("/api/v1/rdvs", params={"usager_id": usager}).json()
        assert listed["total"] == 1 and listed["items"][0]["status"] == "seen"
        tomorrow = c.post("/api/v1/rdvs", json={**body, "starts_at": "2027-03-02T09:00:00+01:00"}).json()
        early = c.post(f"/api/v1/rdvs/{tomorrow['id']}/status", json={"status": "noshow"})
        assert early.status_code == 409 and early.json()["error"]["code"] == "invalid_transition"
    # The usager's fiche learns of both RDVs from booking's events.
    with org.admin() as c:
        wait_until(lambda: c.get(f"/api/v1/usagers/{usager}").json()["stats"]["total"] == 2, timeout=30,
                   message="the usager's RDV history")


def test_visibility_and_isolation_through_the_gateway(system):
    org = system.new_organisation()
    service, motif, lieu, agent, token = _desk(org)
    with org.admin() as c:
        other_service = c.post("/api/v1/services", json={"name": "RSA", "short_name": "RSA"}).json()
        usager = _usager(c, "Jules")
        rdv = c.post("/api/v1/rdvs", json={"motif_id": motif["id"], "lieu_id": lieu["id"],
                                           "agent_ids": [agent["id"]], "usager_ids": [usager],
                                           "starts_at": "2027-03-02T10:00:00+01:00"}, headers={"Idempotency-Key": "k1"})
        assert rdv.status_code == 201, rdv.text
        rdv = rdv.json()
        again = c.post("/api/v1/rdvs", json={"motif_id": motif["id"], "lieu_id": lieu["id"],
                                             "agent_ids": [agent["id"]], "usager_ids": [usager],
                                             "starts_at": "2027-03-02T10:00:00+01:00"}, headers={"Idempotency-Key": "k1"})
        assert again.json()["id"] == rdv["id"]
        assert c.get("/api/v1/rdvs", params={"agent_id": agent["id"]}).json()["total"] == 1
    _, outsider_token = org.new_agent(role="basic", service_ids=[other_service["id"]])
    with system.client(outsider_token) as c:
        assert c.get(f"/api/v1/rdvs/{rdv['id']}").status_code == 404
        assert c.post(f"/api/v1/rdvs/{rdv['id']}/status", json={"status": "revoked"}).status_code == 404
    with system.client(token) as c:
        assert c.get(f"/api/v1/rdvs/{rdv['id']}").json() == rdv
    stranger = system.new_organisation()
    with stranger.admin() as c:
        assert c.get(f"/api/v1/rdvs/{rdv['id']}").status_code == 404
        assert c.patch(f"/api/v1/rdvs/{rdv['id']}", json={"context": "x"}).status_code == 404


def test_public_booking_through_the_published_page(system):
    org = system.new_organisation()
    service, motif, lieu, agent, token = _desk(org, days=("2027-03-03",))
    with org.admin() as c:
        assert c.patch("/api/v1/organisation", json={"publish_online": True}).status_code == 200
        slug = c.get("/api/v1/organisation").json()["slug"]
    email = f"usager-{uuid.uuid4().hex[:6]}@example.fr"
    with system.client() as c:
        resp = c.post(f"/api/v1/public/{slug}/rdvs", json={
            "motif_id": motif["id"], "lieu_id": lieu["id"], "starts_at": "2027-03-03T09:20:00+01:00",
            "usager": {"first_name": "Zoé", "last_name": "Durand", "email": email, "phone": "0612345679"}})
        assert resp.status_code == 201, resp.text
    with org.admin() as c:
        listed = c.get("/api/v1/rdvs", params={"from": "2027-03-03", "to": "2027-03-03"}).json()
        assert listed["total"] == 1
        rdv = listed["items"][0]
        assert rdv["agent_ids"] == [agent["id"]] and rdv["created_by"] is None
        assert rdv["starts_at"] == "2027-03-03T09:20:00+01:00"
