"""Holidays over HTTP: every year the API accepts (past the `holidays` package's last year), and the two
observances of Guadeloupe and Martinique (statutory days only, or also the days observed locally)."""
from __future__ import annotations

import uuid

from tests.integration.availability.conftest import Org


def _with(org: Org, observances: str):
    return org.admin.model_copy(update={"holiday_observances": observances})


def test_holidays_of_every_accepted_year(org):
    with org.client() as c:
        days = c.get("/v1/jours-feries", params={"year": 2101}).json()
        assert {"day": "2101-12-25", "name": "Noël", "statutory": True} in days and len(days) == 11
        assert len(c.get("/v1/jours-feries", params={"year": 2200}).json()) == 11
        assert len(c.get("/v1/jours-feries", params={"year": 1900}).json()) > 0
        for year in (1899, 2201):
            resp = c.get("/v1/jours-feries", params={"year": year})
            assert resp.status_code == 422 and resp.json()["error"]["code"] == "validation_error"


def test_a_booking_on_a_holiday_after_2100_is_refused(org):
    lieu, motif = org.lieu(), org.motif(duration=30)
    agent = uuid.uuid4()
    for day in ("2101-12-25", "2101-12-27"):
        org.plage(agent_id=agent, lieu_id=lieu, motif_ids=[motif], first_day=day)
    with org.client() as c:
        def check(starts_at):
            return c.post("/internal/check", json={"agent_ids": [str(agent)], "lieu_id": lieu, "motif_id": motif,
                                                   "starts_at": starts_at}).json()

        refused = check("2101-12-25T09:00:00+01:00")
        assert refused["ok"] is False and refused["code"] == "holiday"
        assert check("2101-12-27T09:00:00+01:00")["ok"] is True
    agenda = org.get("/v1/agenda", agent_id=str(agent), **{"from": "2101-12-24", "to": "2101-12-27"}).json()
    assert agenda["holidays"] == [{"day": "2101-12-25", "name": "Noël"}]
    assert [o["starts_at"] for o in agenda["plages"]] == ["2101-12-25T09:00:00+01:00", "2101-12-27T09:00:00+01:00"]


def test_guadeloupe_closes_on_local_days_only_when_the_organisation_observes_them(availability):
    org = Org(availability, timezone="America/Guadeloupe", holiday_zone="guadeloupe")
    lieu, motif = org.lieu(), org.motif(duration=30)
    agent = uuid.uuid4()
    # Mi-Carême (Thursday 4 March 2027) and Fête de Victor Schœlcher (Wednesday 21 July): local, not statutory
    for day in ("2027-03-04", "2027-07-21", "2027-05-27"):
        org.plage(agent_id=agent, lieu_id=lieu, motif_ids=[motif], first_day=day)
    window = {"agent_id": str(agent), "from": "2027-03-01", "to": "2027-03-07"}

    local = _with(org, "local")
    assert org.get("/v1/agenda", local, **window).json()["holidays"] == [{"day": "2027-03-04", "name": "Mi-Carême"}]
    assert org.creneaux(motif, "2027-03-04", "2027-03-04", identity=local).json()["items"] == []
    statutory = _with(org, "statutory")
    assert org.get("/v1/agenda", statutory, **window).json()["holidays"] == []
    assert len(org.creneaux(motif, "2027-03-04", "2027-03-04", identity=statutory).json()["items"]) == 6

    for identity, closed in ((local, True), (statutory, False)):
        with org.client(identity) as c:
            verdict = c.post("/internal/check", json={"agent_ids": [str(agent)], "lieu_id": lieu, "motif_id": motif,
                                                      "starts_at": "2027-07-21T09:00:00-04:00"}).json()
            assert (verdict.get("code") == "holiday") is closed, verdict
            abolition = c.post("/internal/check", json={"agent_ids": [str(agent)], "lieu_id": lieu,
                                                        "motif_id": motif, "starts_at": "2027-05-27T09:00:00-04:00"})
            assert abolition.json()["code"] == "holiday"  # statutory in Guadeloupe: closed either way

    with org.client(statutory) as c:
        days = c.get("/v1/jours-feries", params={"year": 2027}).json()
        assert all(d["statutory"] for d in days) and "Mi-Carême" not in {d["name"] for d in days}
        both = c.get("/v1/jours-feries", params={"year": 2027, "observances": "local"}).json()
        assert {"day": "2027-03-04", "name": "Mi-Carême", "statutory": False} in both
        assert {"day": "2027-03-26", "name": "Vendredi saint", "statutory": False} in both
        assert c.get("/v1/jours-feries", params={"year": 2027, "observances": "tout"}).status_code == 422


def test_martinique_statutory_days_leave_out_schoelcher_day_only(availability):
    org = Org(availability, timezone="America/Martinique", holiday_zone="martinique")
    with org.client(_with(org, "local")) as c:
        local = {d["name"] for d in c.get("/v1/jours-feries", params={"year": 2101}).json()}
    with org.client(_with(org, "statutory")) as c:
        statutory = {d["name"] for d in c.get("/v1/jours-feries", params={"year": 2101}).json()}
    assert local - statutory == {"Fête de Victor Schoelcher"} and "Abolition de l'esclavage" in statutory
