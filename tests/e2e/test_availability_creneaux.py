"""'Trouver un RDV' through the gateway with every service running (RDV_NOW: Monday 2027-03-01 08:00 Paris)."""
from __future__ import annotations

from tests.support.system import wait_until

WEEKLY = {"every": "week", "interval": 1, "on": ["monday", "tuesday", "wednesday", "thursday", "friday"],
          "until": None}


def _setup(org):
    with org.admin() as c:
        pmi = c.post("/api/v1/services", json={"name": "PMI", "short_name": "PMI"}).json()
        rsa = c.post("/api/v1/services", json={"name": "RSA", "short_name": "RSA"}).json()
        lieu = c.post("/api/v1/lieux", json={"name": "MDS Nord", "address": "3 rue des Lilas"}).json()
        motif = c.post("/api/v1/motifs", json={"name": "Consultation", "service_id": pmi["id"], "duration_minutes": 30,
                                               "location_type": "public_office", "reservable_online": True,
                                               "min_booking_delay_minutes": 60, "max_booking_delay_days": 30}).json()
    me, my_token = org.new_agent(role="basic", service_ids=[pmi["id"]])
    colleague, _ = org.new_agent(role="basic", service_ids=[pmi["id"]])
    elsewhere, _ = org.new_agent(role="basic", service_ids=[rsa["id"]])
    with org.admin() as c:
        for agent in (me, colleague, elsewhere):
            resp = c.post("/api/v1/plages", json={"agent_id": agent["id"], "lieu_id": lieu["id"],
                                                  "motif_ids": [motif["id"]], "title": "Consultations",
                                                  "first_day": "2027-03-01", "start_time": "09:00",
                                                  "end_time": "10:00", "recurrence": WEEKLY})
            assert resp.status_code == 201, resp.text
    return lieu, motif, me, my_token, colleague, elsewhere


def test_search_by_service_elargir_booking_and_absence_conflicts(system):
    org = system.new_organisation()
    lieu, motif, me, token, colleague, elsewhere = _setup(org)
    params = {"motif_id": motif["id"], "from": "2027-03-02", "to": "2027-03-02"}
    with system.client(token) as c:
        mine = c.get("/api/v1/creneaux", params=params).json()
        assert {s["agent_id"] for s in mine["items"]} == {me["id"], colleague["id"]}
        assert len(mine["items"]) == 4 and mine["next_available"] is None
        wide = c.get("/api/v1/creneaux", params={**params, "elargir": "true"}).json()
        assert {s["agent_id"] for s in wide["items"]} == {me["id"], colleague["id"], elsewhere["id"]}
        too_long = c.get("/api/v1/creneaux", params={**params, "to": "2027-06-01"})
        assert too_long.status_code == 422 and too_long.json()["error"]["code"] == "range_too_large"

        usager = c.post("/api/v1/usagers", json={"first_name": "Léa", "last_name": "Durand",
                                                 "phone": "06 11 22 33 44"}).json()["id"]
        rdv = c.post("/api/v1/rdvs", json={"motif_id": motif["id"], "lieu_id": lieu["id"], "agent_ids": [me["id"]],
                                           "usager_ids": [usager], "starts_at": "2027-03-02T09:00:00+01:00"})
        assert rdv.status_code == 201, rdv.text
        mine_only = {**params, "agent_id": me["id"]}
        wait_until(lambda: [s["starts_at"] for s in c.get("/api/v1/creneaux", params=mine_only).json()["items"]]
                   == ["2027-03-02T09:30:00+01:00"], message="the RDV blocks its slot")

        absence = c.post("/api/v1/absences", json={"agent_id": me["id"], "title": "Formation", "first_day": "2027-03-02",
                                                   "start_time": "08:00", "end_day": "2027-03-02", "end_time": "12:00",
                                                   "recurrence": None})
        assert absence.status_code == 201, absence.text
        assert [r["id"] for r in absence.json()["rdvs_in_conflict"]] == [rdv.json()["id"]]
        assert c.get("/api/v1/creneaux", params=mine_only).json() == {
            "items": [], "next_available": "2027-03-03T09:00:00+01:00"}
        agenda = c.get("/api/v1/agenda", params={"agent_id": me["id"], "from": "2027-03-02", "to": "2027-03-02"}).json()
        assert [r["id"] for r in agenda["rdvs"]] == [rdv.json()["id"]]
        assert agenda["rdvs"][0]["usager_ids"] == [usager] and agenda["rdvs"][0]["status"] == "unknown"
        assert [a["title"] for a in agenda["absences"]] == ["Formation"]

        cancelled = c.post(f"/api/v1/rdvs/{rdv.json()['id']}/status", json={"status": "revoked"})
        assert cancelled.status_code == 200
        c.delete(f"/api/v1/absences/{absence.json()['id']}")
        wait_until(lambda: len(c.get("/api/v1/creneaux", params=mine_only).json()["items"]) == 2,
                   message="the cancelled RDV frees its slot")


def test_basic_agent_cannot_open_a_plage_for_a_colleague_and_holidays_close(system):
    org = system.new_organisation(holiday_zone="alsace-moselle")
    lieu, motif, me, token, colleague, _ = _setup(org)
    with system.client(token) as c:
        resp = c.post("/api/v1/plages", json={"agent_id": colleague["id"], "lieu_id": lieu["id"],
                                              "motif_ids": [motif["id"]], "title": "x", "first_day": "2027-03-03",
                                              "start_time": "14:00", "end_time": "15:00", "recurrence": None})
        assert resp.status_code == 403
        days = c.get("/api/v1/jours-feries", params={"year": 2027}).json()
        assert {"day": "2027-03-26", "name": "Vendredi saint", "statutory": True} in days
        good_friday = c.get("/api/v1/creneaux", params={"motif_id": motif["id"], "from": "2027-03-26",
                                                        "to": "2027-03-26"}).json()
        assert good_friday["items"] == [] and good_friday["next_available"] == "2027-03-30T09:00:00+02:00"


def test_public_page_shows_online_slots_without_agents(system):
    org = system.new_organisation()
    lieu, motif, *_ = _setup(org)
    with org.admin() as c:
        assert c.patch("/api/v1/organisation", json={"publish_online": True}).status_code == 200
        slug = c.get("/api/v1/organisation").json()["slug"]
    with system.client() as anonymous:
        resp = anonymous.get(f"/api/v1/public/{slug}/creneaux", params={"motif_id": motif["id"], "from": "2027-03-02",
                                                                         "to": "2027-03-03"})
        assert resp.status_code == 200, resp.text
        items = resp.json()["items"]
        assert [s["starts_at"] for s in items] == ["2027-03-02T09:00:00+01:00", "2027-03-02T09:30:00+01:00",
                                                   "2027-03-03T09:00:00+01:00", "2027-03-03T09:30:00+01:00"]
        assert all("agent_id" not in s and s["lieu_id"] == lieu["id"] for s in items)
