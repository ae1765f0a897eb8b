"""Plages and absences over HTTP: who may write, the contract's rules, warnings, events."""
from __future__ import annotations

import uuid

import pytest



def test_agent_manages_own_plage_and_gets_an_overlap_warning(org):
    lieu, motif = org.lieu(), org.motif()
    me = uuid.uuid4()
    agent = org.identity(agent_id=me)
    weekly = {"every": "week", "interval": 2, "on": ["monday", "wednesday"], "until": "2027-06-30"}
    first = org.plage(agent_id=me, lieu_id=lieu, motif_ids=[motif], first_day="2027-03-01", recurrence=weekly)
    assert first["warnings"] == [] and first["recurrence"] == weekly and first["start_time"] == "09:00"
    other = org.post("/v1/plages", {"agent_id": str(me), "lieu_id": lieu, "motif_ids": [motif], "title": "Midi",
                                    "first_day": "2027-03-15", "start_time": "11:30", "end_time": "13:00"}, agent)
    assert len(other["warnings"]) == 1 and "Permanence" in other["warnings"][0]
    apart = org.plage(agent_id=me, lieu_id=lieu, motif_ids=[motif], first_day="2027-03-08")  # odd week: none
    assert apart["warnings"] == []
    with org.client(agent) as c:
        listed = c.get("/v1/plages").json()
        assert listed["total"] == 3
        patched = c.patch(f"/v1/plages/{other['id']}", json={"start_time": "14:00", "end_time": "15:00"})
        assert patched.status_code == 200 and patched.json()["warnings"] == []
        assert c.delete(f"/v1/plages/{apart['id']}").status_code == 204
        assert c.get(f"/v1/plages/{apart['id']}").status_code == 404


def test_basic_agent_cannot_touch_a_colleagues_plage(org):
    lieu, motif = org.lieu(), org.motif()
    colleague = uuid.uuid4()
    plage = org.plage(agent_id=colleague, lieu_id=lieu, motif_ids=[motif], first_day="2027-03-01")
    basic = org.identity()
    with org.client(basic) as c:
        assert c.post("/v1/plages", json={"agent_id": str(colleague), "lieu_id": lieu, "motif_ids": [motif],
                                          "title": "x", "first_day": "2027-03-01", "start_time": "09:00",
                                          "end_time": "10:00"}).status_code == 403
        assert c.patch(f"/v1/plages/{plage['id']}", json={"title": "à moi"}).status_code == 403
        assert c.get("/v1/plages", params={"agent_id": str(colleague)}).status_code == 403
        assert c.get("/v1/plages").json()["total"] == 0


@pytest.mark.parametrize("change, field", [
    ({"end_time": "08:00"}, "end_time"),
    ({"recurrence": {"every": "week", "interval": 1, "on": []}}, "recurrence.on"),
    ({"recurrence": {"every": "week", "interval": 1, "on": ["tuesday"]}}, "first_day"),
    ({"recurrence": {"every": "week", "interval": 6, "on": ["monday"]}}, "recurrence.interval"),
    ({"recurrence": {"every": "month", "interval": 1, "on": {"monday": 2}}}, "first_day"),
    ({"first_day": "2027-02-30"}, "first_day"),
    ({"first_day": "0001-01-01"}, "first_day"),
    ({"recurrence": {"every": "week", "interval": 1, "on": ["monday"], "until": "9999-12-31"}}, "recurrence.until"),
    ({"start_time": "9h"}, "start_time"),
])
def test_plage_rules_are_422_with_the_field(org, change, field):
    lieu, motif = org.lieu(), org.motif()
    body = {"agent_id": str(uuid.uuid4()), "lieu_id": lieu, "motif_ids": [motif], "title": "x",
            "first_day": "2027-03-01", "start_time": "09:00", "end_time": "12:00", **change}
    with org.client() as c:
        resp = c.post("/v1/plages", json=body)
        assert resp.status_code == 422, resp.text
        assert resp.json()["error"]["code"] == "validation_error"
        assert field in resp.json()["error"]["details"]["fields"]
        assert c.get("/v1/plages").json()["total"] == 0


def test_unknown_or_foreign_motif_and_lieu(org, availability):
    from tests.integration.availability.conftest import Org

    stranger = Org(availability)
    foreign_lieu, foreign_motif = stranger.lieu(), stranger.motif()
    lieu, motif = org.lieu(), org.motif()
    base = {"agent_id": str(uuid.uuid4()), "title": "x", "first_day": "2027-03-01", "start_time": "09:00",
            "end_time": "12:00"}
    with org.client() as c:
        resp = c.post("/v1/plages", json={**base, "lieu_id": foreign_lieu, "motif_ids": [motif]})
        assert resp.status_code == 422 and resp.json()["error"]["code"] == "unknown_lieu"
        resp = c.post("/v1/plages", json={**base, "lieu_id": lieu, "motif_ids": [motif, foreign_motif]})
        assert resp.status_code == 422 and resp.json()["error"]["code"] == "unknown_motif"
        resp = c.get("/v1/creneaux", params={"motif_id": foreign_motif, "from": "2027-03-01", "to": "2027-03-02"})
        assert resp.status_code == 422 and resp.json()["error"]["code"] == "unknown_motif"


def test_absence_rules(org):
    agent = uuid.uuid4()
    base = {"agent_id": str(agent), "title": "Formation", "first_day": "2027-03-01", "start_time": "09:00"}
    with org.client() as c:
        resp = c.post("/v1/absences", json={**base, "end_day": "2027-03-01", "end_time": "08:00"})
        assert resp.status_code == 422 and "end_time" in resp.json()["error"]["details"]["fields"]
        resp = c.post("/v1/absences", json={**base, "end_day": "2027-03-02", "end_time": "12:00",
                                            "recurrence": {"every": "week", "interval": 1, "on": ["monday"]}})
        assert resp.status_code == 422 and "end_day" in resp.json()["error"]["details"]["fields"]
        ok = c.post("/v1/absences", json={**base, "end_day": "2027-03-03", "end_time": "12:00"})
        assert ok.status_code == 201 and ok.json()["rdvs_in_conflict"] == []
        assert ok.json()["end_day"] == "2027-03-03"
        listed = c.get("/v1/absences", params={"agent_id": str(agent)}).json()
        assert listed["total"] == 1 and listed["items"][0]["title"] == "Formation"
        assert c.delete(f"/v1/absences/{ok.json()['id']}").status_code == 204
        assert c.get("/v1/absences", params={"agent_id": str(agent)}).json()["total"] == 0


def test_basic_agent_sets_their_own_absence_only(org):
    me = uuid.uuid4()
    agent = org.identity(agent_id=me)
    mine = org.absence(agent_id=me, first_day="2027-03-05", start="14:00", end="17:00")
    with org.client(agent) as c:
        assert c.get(f"/v1/absences/{mine['id']}").status_code == 200
        other = c.post("/v1/absences", json={"agent_id": str(uuid.uuid4()), "title": "x", "first_day": "2027-03-05",
                                             "start_time": "09:00", "end_day": "2027-03-05", "end_time": "10:00"})
        assert other.status_code == 403 and other.json()["error"]["code"] == "forbidden"
    with org.client(org.identity()) as c:
        assert c.get(f"/v1/absences/{mine['id']}").status_code == 403


def test_jours_feries(org):
    with org.client() as c:
        days = c.get("/v1/jours-feries", params={"year": 2027}).json()
        assert {"day": "2027-07-14", "name": "Fête nationale", "statutory": True} in days and len(days) == 11
        alsace = c.get("/v1/jours-feries", params={"year": 2027, "zone": "alsace-moselle"}).json()
        assert {"day": "2027-12-26", "name": "Saint-Étienne", "statutory": True} in alsace
        assert {"day": "2027-03-26", "name": "Vendredi saint", "statutory": True} in alsace
        reunion = c.get("/v1/jours-feries", params={"year": 2027, "zone": "la-reunion"}).json()
        assert {"day": "2027-12-20", "name": "Abolition de l'esclavage", "statutory": True} in reunion
        assert c.get("/v1/jours-feries", params={"year": 2027, "zone": "atlantide"}).status_code == 422
