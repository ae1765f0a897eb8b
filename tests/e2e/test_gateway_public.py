"""Public booking through the gateway (no authentication), its rate limit, and the dev inbox."""
from __future__ import annotations

import uuid

from tests.support.system import wait_until


def _published(system):
    org = system.new_organisation(name=f"Publique {uuid.uuid4().hex[:6]}")
    with org.admin() as c:
        assert c.patch("/api/v1/organisation", json={"publish_online": True}).status_code == 200
        service = c.post("/api/v1/services", json={"name": "État civil"}).json()
        agent, _ = org.new_agent(role="basic", service_ids=[service["id"]])
        lieu = c.post("/api/v1/lieux", json={"name": "Mairie", "address": "1 place de la Mairie"}).json()
        motif = c.post("/api/v1/motifs", json={"name": "Passeport", "service_id": service["id"], "duration_minutes": 30,
                                              "location_type": "public_office", "reservable_online": True}).json()
        plage = c.post("/api/v1/plages", json={"agent_id": agent["id"], "lieu_id": lieu["id"], "motif_ids": [motif["id"]],
                                              "title": "Matin", "first_day": "2027-03-02", "start_time": "09:00",
                                              "end_time": "12:00", "recurrence": None})
        assert plage.status_code == 201, plage.text
    return org, lieu, motif


def test_an_usager_books_online_and_gets_a_message(system):
    org, lieu, motif = _published(system)
    slug = org.organisation["slug"]
    query = {"motif_id": motif["id"], "from": "2027-03-02", "to": "2027-03-02"}
    with system.client() as c:
        def slots():
            resp = c.get(f"/api/v1/public/{slug}/creneaux", params=query)
            assert resp.status_code == 200, resp.text
            return resp.json()["items"]
        items = wait_until(slots, timeout=15, message="public créneaux")
        assert all("agent_id" not in i for i in items) and items[0]["starts_at"].startswith("2027-03-02T09:00")
        phone = f"06{uuid.uuid4().int % 10**8:08d}"
        body = {"motif_id": motif["id"], "lieu_id": lieu["id"], "starts_at": items[0]["starts_at"],
                "usager": {"first_name": "Camille", "last_name": "Public", "phone": phone}}

        def book():
            resp = c.post(f"/api/v1/public/{slug}/rdvs", json=body)
            return resp if resp.status_code == 201 else None
        rdv = wait_until(book, timeout=15, message="public booking").json()
        again = c.post(f"/api/v1/public/{slug}/rdvs", json=body)
        assert again.status_code == 409  # the slot is taken now

        def message():
            msgs = c.get("/dev/messages").json()
            return [m for m in msgs if m.get("rdv_id") == rdv["id"]]
        assert wait_until(message, timeout=20, message="confirmation in the dev inbox")
    with org.admin() as c:
        seen = c.get(f"/api/v1/rdvs/{rdv['id']}").json()
        assert seen["motif_id"] == motif["id"] and len(seen["usager_ids"]) == 1
        audit = c.get("/api/v1/audit", params={"resource_id": rdv["id"]}).json()
        assert audit["items"][0]["agent_id"] is None and audit["items"][0]["status"] == 201


def test_public_routes_of_an_unpublished_or_unknown_organisation_are_404(system):
    org = system.new_organisation()
    query = {"motif_id": str(uuid.uuid4()), "from": "2027-03-02", "to": "2027-03-02"}
    with system.client() as c:
        for slug in (org.organisation["slug"], f"inconnue-{uuid.uuid4().hex}"):
            resp = c.get(f"/api/v1/public/{slug}/creneaux", params=query)
            assert resp.status_code == 404 and resp.json()["error"]["code"] == "not_found"


def test_public_booking_is_rate_limited_per_ip(system):
    org, lieu, _ = _published(system)
    slug = org.organisation["slug"]
    body = {"motif_id": str(uuid.uuid4()), "lieu_id": lieu["id"], "starts_at": "2027-03-02T09:00:00+01:00",
            "usager": {"first_name": "Robot", "last_name": "Pressé", "phone": "0611223344"}}
    with system.client() as c:
        statuses = [c.post(f"/api/v1/public/{slug}/rdvs", json=body).status_code for _ in range(31)]
    assert 429 not in statuses[:30] and statuses[30] == 429, statuses


def test_dev_inbox_as_a_page(system):
    with system.client() as c:
        page = c.get("/dev/messages", headers={"Accept": "text/html"})
        assert page.status_code == 200 and "<h1>Messages envoyés" in page.text
        assert c.get("/docs").status_code == 200
