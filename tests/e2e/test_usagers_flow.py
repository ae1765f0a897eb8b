"""Usagers through the gateway with every service running: search, booking events into the fiche, RGPD."""
from __future__ import annotations

from tests.support.system import wait_until

# RDV_NOW: Monday 2027-03-01 08:00 Paris


def _counter(org, *, online: bool = False):
    """A service with a motif, a lieu, and a basic agent of that service open Tuesday morning."""
    with org.admin() as c:
        service = c.post("/api/v1/services", json={"name": "PMI", "short_name": "PMI"}).json()
        motif = c.post("/api/v1/motifs", json={"name": "Consultation PMI", "service_id": service["id"],
                                               "duration_minutes": 30, "location_type": "public_office",
                                               "reservable_online": online}).json()
        lieu = c.post("/api/v1/lieux", json={"name": "PMI Centre-ville", "address": "1 rue de la Mairie"}).json()
    agent, token = org.new_agent(role="basic", service_ids=[service["id"]])
    with org.system.client(token) as c:
        plage = c.post("/api/v1/plages", json={"agent_id": agent["id"], "lieu_id": lieu["id"],
                                               "motif_ids": [motif["id"]], "title": "Matin", "first_day": "2027-03-02",
                                               "start_time": "09:00", "end_time": "12:00", "recurrence": None})
        assert plage.status_code == 201, plage.text
    return service, motif, lieu, agent, token


def test_an_agent_finds_the_usager_and_the_fiche_follows_the_rdv(system):
    org = system.new_organisation()
    service, motif, lieu, agent, token = _counter(org)
    with system.client(token) as c:
        created = c.post("/api/v1/usagers", json={"first_name": "Élodie", "last_name": "Lefèvre-Durand",
                                                  "phone": "06 12 34 56 78", "email": "elodie@example.fr"})
        assert created.status_code == 201, created.text
        usager = created.json()
        assert usager["phone"] == "+33612345678"
        found = c.get("/api/v1/usagers", params={"q": "ELODIE", "scope": "organisation"}).json()
        assert [u["id"] for u in found["items"]] == [usager["id"]]
        by_phone = c.get("/api/v1/usagers", params={"q": "06.12.34.56.78", "scope": "organisation"}).json()
        assert [u["id"] for u in by_phone["items"]] == [usager["id"]]
        assert c.get("/api/v1/usagers", params={"q": "durand"}).json()["total"] == 0  # no RDV in my service yet

        rdv = c.post("/api/v1/rdvs", json={"motif_id": motif["id"], "lieu_id": lieu["id"],
                                           "agent_ids": [agent["id"]], "usager_ids": [usager["id"]],
                                           "starts_at": "2027-03-02T09:30:00+01:00"})
        assert rdv.status_code == 201, rdv.text
        wait_until(lambda: c.get("/api/v1/usagers", params={"q": "durand"}).json()["total"] == 1,
                   message="usager in the agent's service scope")

        def fiche_with_names():  # motif and lieu names come from their own events, maybe a moment later
            got = c.get(f"/api/v1/usagers/{usager['id']}").json()
            lines = got["rdvs_upcoming"]
            return got if lines and lines[0]["motif"] and lines[0]["lieu"] else None
        fiche = wait_until(fiche_with_names, message="the fiche shows the RDV with its motif and lieu")
        assert fiche["stats"]["total"] == 1 and fiche["stats"]["a_venir"] == 1
        [line] = fiche["rdvs_upcoming"]
        assert line["id"] == rdv.json()["id"] and line["starts_at"] == "2027-03-02T09:30:00+01:00"
        assert line["motif"]["name"] == "Consultation PMI" and line["lieu"]["name"] == "PMI Centre-ville"

        cancelled = c.post(f"/api/v1/rdvs/{rdv.json()['id']}/status", json={"status": "excused"})
        assert cancelled.status_code == 200, cancelled.text
        wait_until(lambda: c.get(f"/api/v1/usagers/{usager['id']}").json()["stats"]["excused"] == 1,
                   message="status change in the fiche")


def test_anonymisation_through_the_gateway(system):
    org = system.new_organisation()
    _, basic = org.new_agent(role="basic")
    with org.admin() as c:
        usager = c.post("/api/v1/usagers", json={"first_name": "Jérôme", "last_name": "Quéré",
                                                 "phone": "0698765432"}).json()
    with system.client(basic) as c:
        assert c.delete(f"/api/v1/usagers/{usager['id']}").status_code == 403
    with org.admin() as c:
        assert c.delete(f"/api/v1/usagers/{usager['id']}").status_code in (200, 204)
        fiche = c.get(f"/api/v1/usagers/{usager['id']}").json()
        assert fiche["usager"]["phone"] is None and fiche["usager"]["last_name"] == ""
        assert c.get("/api/v1/usagers", params={"q": "quere", "scope": "organisation"}).json()["total"] == 0


def test_online_bookings_with_one_phone_land_on_one_usager(system):
    org = system.new_organisation()
    service, motif, lieu, agent, token = _counter(org, online=True)
    with org.admin() as c:
        assert c.patch("/api/v1/organisation", json={"publish_online": True}).status_code == 200
        slug = c.get("/api/v1/organisation").json()["slug"]
    with system.client() as public:
        for starts_at, phone in (("2027-03-02T09:00:00+01:00", "06 21 43 65 87"),
                                 ("2027-03-02T10:00:00+01:00", "+33 6 21 43 65 87")):
            resp = public.post(f"/api/v1/public/{slug}/rdvs", json={
                "motif_id": motif["id"], "lieu_id": lieu["id"], "starts_at": starts_at,
                "usager": {"first_name": "Maëlys", "last_name": "Côté", "phone": phone}})
            assert resp.status_code == 201, resp.text
    with system.client(token) as c:
        found = c.get("/api/v1/usagers", params={"q": "0621436587", "scope": "organisation"}).json()
        assert found["total"] == 1 and found["items"][0]["last_name"] == "Côté"
        usager_id = found["items"][0]["id"]
        wait_until(lambda: c.get(f"/api/v1/usagers/{usager_id}").json()["stats"]["total"] == 2,
                   message="both online RDVs in the fiche")
        assert c.get("/api/v1/usagers", params={"q": "maelys cote"}).json()["total"] == 1  # in my service now
