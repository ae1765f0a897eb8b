"""Holidays through the gateway: a booking on a holiday after 2100 is refused; in Guadeloupe the
organisation chooses whether locally observed days close its agendas (RDV_NOW: 2027-03-01)."""
from __future__ import annotations


def _desk(org, days):
    with org.admin() as c:
        service = c.post("/api/v1/services", json={"name": "Accueil", "short_name": "ACC"}).json()
        motif = c.post("/api/v1/motifs", json={"name": "Rendez-vous", "service_id": service["id"],
                                               "duration_minutes": 30, "location_type": "public_office"}).json()
        lieu = c.post("/api/v1/lieux", json={"name": "Mairie", "address": "1 rue de la Liberté"}).json()
        usager = c.post("/api/v1/usagers", json={"first_name": "Rose", "last_name": "Jean",
                                                 "phone": "06 12 34 56 78"}).json()
    agent, _ = org.new_agent(role="basic", service_ids=[service["id"]])
    with org.admin() as c:
        for day in days:
            plage = c.post("/api/v1/plages", json={"agent_id": agent["id"], "lieu_id": lieu["id"],
                                                   "motif_ids": [motif["id"]], "first_day": day,
                                                   "start_time": "09:00", "end_time": "12:00"})
            assert plage.status_code == 201, plage.text
    return {"motif_id": motif["id"], "lieu_id": lieu["id"], "agent_ids": [agent["id"]], "usager_ids": [usager["id"]]}


def test_a_booking_on_christmas_2101_is_refused(system):
    org = system.new_organisation()
    rdv = _desk(org, ["2101-12-25", "2101-12-27"])
    with org.admin() as c:
        assert {"day": "2101-12-25", "name": "Noël", "statutory": True} in \
            c.get("/api/v1/jours-feries", params={"year": 2101}).json()
        refused = c.post("/api/v1/rdvs", json={**rdv, "starts_at": "2101-12-25T09:00:00+01:00"})
        assert refused.status_code == 409 and refused.json()["error"]["code"] == "holiday", refused.text
        assert c.post("/api/v1/rdvs", json={**rdv, "starts_at": "2101-12-27T09:00:00+01:00"}).status_code == 201
        assert c.get("/api/v1/jours-feries", params={"year": 2201}).status_code == 422


def test_guadeloupe_opens_on_mi_careme_once_it_keeps_statutory_days_only(system):
    org = system.new_organisation(timezone="America/Guadeloupe", holiday_zone="guadeloupe")
    rdv = {**_desk(org, ["2027-03-04"]), "starts_at": "2027-03-04T09:00:00-04:00"}  # Mi-Carême
    agenda = {"agent_id": rdv["agent_ids"][0], "from": "2027-03-04", "to": "2027-03-04"}
    with org.admin() as c:
        assert c.get("/api/v1/organisation").json()["holiday_observances"] == "local"
        assert c.get("/api/v1/agenda", params=agenda).json()["holidays"] == [{"day": "2027-03-04",
                                                                               "name": "Mi-Carême"}]
        refused = c.post("/api/v1/rdvs", json=rdv)
        assert refused.status_code == 409 and refused.json()["error"]["code"] == "holiday"

        changed = c.patch("/api/v1/organisation", json={"holiday_observances": "statutory"})
        assert changed.status_code == 200 and changed.json()["holiday_observances"] == "statutory"
        assert c.get("/api/v1/agenda", params=agenda).json()["holidays"] == []
        assert c.post("/api/v1/rdvs", json=rdv).status_code == 201
        days = c.get("/api/v1/jours-feries", params={"year": 2027}).json()
        assert "Mi-Carême" not in {d["name"] for d in days} and all(d["statutory"] for d in days)
