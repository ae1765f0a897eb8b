"""Créneaux, public créneaux, explain, agenda and booking's check over HTTP (now = 2027-03-01 08:00 Paris)."""
from __future__ import annotations

import uuid

from tests.integration.availability.conftest import WEEKDAYS

WEEKLY = {"every": "week", "interval": 1, "on": WEEKDAYS, "until": None}


def test_search_over_agents_lieu_filter_and_sorting(org):
    lieu_a, lieu_b, motif = org.lieu(), org.lieu(), org.motif(duration=45)
    a1, a2, outsider = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    org.plage(agent_id=a1, lieu_id=lieu_a, motif_ids=[motif], first_day="2027-03-02", start="09:00", end="10:40")
    org.plage(agent_id=a2, lieu_id=lieu_b, motif_ids=[motif], first_day="2027-03-02", start="09:00", end="10:00")
    org.plage(agent_id=outsider, lieu_id=lieu_b, motif_ids=[motif], first_day="2027-03-02")
    agents = f"{a1},{a2}"
    body = org.creneaux(motif, "2027-03-02", "2027-03-02", agent_ids=agents).json()
    first_two = sorted([str(a1), str(a2)])
    assert [(c["starts_at"], c["agent_id"]) for c in body["items"]] == [
        ("2027-03-02T09:00:00+01:00", first_two[0]), ("2027-03-02T09:00:00+01:00", first_two[1]),
        ("2027-03-02T09:45:00+01:00", str(a1))]
    assert body["items"][0]["ends_at"] == "2027-03-02T09:45:00+01:00" and body["items"][0]["motif_id"] == motif
    assert body["next_available"] is None
    only_b = org.creneaux(motif, "2027-03-02", "2027-03-02", agent_ids=agents, lieu_id=lieu_b).json()["items"]
    assert [c["agent_id"] for c in only_b] == [str(a2)]


def test_window_rules(org):
    motif = org.motif()
    resp = org.creneaux(motif, "2027-03-01", "2027-05-02")
    assert resp.status_code == 422 and resp.json()["error"]["code"] == "range_too_large"
    assert org.creneaux(motif, "2027-03-01", "2027-05-01").status_code == 200  # 62 days
    assert org.creneaux(motif, "2027-03-02", "2027-03-01").status_code == 422
    bad = org.creneaux(motif, "2027-13-01", "2027-03-01")
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "validation_error"
    assert org.creneaux(motif, "2027-03-01", "2027-03-02", agent_ids="pas-un-uuid").status_code == 422
    assert org.creneaux(motif, "0001-01-01", "0001-01-02").status_code == 422
    assert org.creneaux(motif, "9999-12-30", "9999-12-31").status_code == 422
    far = org.get("/v1/creneaux/explain", agent_id=str(uuid.uuid4()), motif_id=motif, starts_at="0001-01-01T09:00:00Z")
    assert far.status_code == 422
    lieu = org.lieu()
    org.plage(agent_id=uuid.uuid4(), lieu_id=lieu, motif_ids=[motif], first_day="2027-03-02")
    assert len(org.creneaux(motif, "2027-03-02", "2027-03-02").json()["items"]) == 6  # no filter: every agent
    assert org.creneaux(motif, "2027-03-02", "2027-03-02", agent_ids="").json() == {  # no candidate agent
        "items": [], "next_available": None}


def test_today_starts_at_now_and_next_available_looks_ahead(org):
    lieu, motif = org.lieu(), org.motif(duration=30)
    agent = uuid.uuid4()
    org.plage(agent_id=agent, lieu_id=lieu, motif_ids=[motif], first_day="2027-03-01", start="07:00", end="09:00")
    from datetime import datetime, timedelta

    now = datetime.fromisoformat(org.get("/healthz").json()["now"])
    today = org.creneaux(motif, "2027-03-01", "2027-03-01").json()["items"]
    first = datetime.fromisoformat(today[0]["starts_at"])
    assert now < first <= now + timedelta(minutes=5) and first.minute % 5 == 0 and first.second == 0
    assert first.hour == 8 and all(c["starts_at"][14:16] == today[0]["starts_at"][14:16] for c in today[1:2])
    org.plage(agent_id=agent, lieu_id=lieu, motif_ids=[motif], first_day="2027-07-06", start="14:00", end="15:00")
    empty = org.creneaux(motif, "2027-03-02", "2027-03-31").json()
    assert empty == {"items": [], "next_available": "2027-07-06T14:00:00+02:00"}
    assert org.creneaux(motif, "2027-01-01", "2027-01-10").json()["next_available"].startswith("2027-03-01T08:")
    assert org.creneaux(motif, "2027-07-07", "2027-07-08").json()["next_available"] is None


def test_holiday_and_absence_block_and_explain_says_why(org):
    lieu, motif = org.lieu(), org.motif(duration=60)
    agent = uuid.uuid4()
    org.plage(agent_id=agent, lieu_id=lieu, motif_ids=[motif], first_day="2027-05-03", recurrence={**WEEKLY})
    absence = org.absence(agent_id=agent, first_day="2027-05-04", start="09:00", end="11:00", title="Formation")
    items = org.creneaux(motif, "2027-05-03", "2027-05-09").json()["items"]
    by_day = {}
    for c in items:
        by_day.setdefault(c["starts_at"][:10], []).append(c["starts_at"][11:16])
    assert by_day == {"2027-05-03": ["09:00", "10:00", "11:00"], "2027-05-04": ["11:00"],
                      "2027-05-05": ["09:00", "10:00", "11:00"], "2027-05-07": ["09:00", "10:00", "11:00"]}

    def explain(starts_at):
        return org.get("/v1/creneaux/explain", agent_id=str(agent), motif_id=motif, starts_at=starts_at).json()

    assert explain("2027-05-03T09:00:00+02:00") == {
        "free": True, "reasons": [], "details": [], "starts_at": "2027-05-03T09:00:00+02:00",
        "ends_at": "2027-05-03T10:00:00+02:00"}
    assert explain("2027-05-04T10:30:00+02:00")["reasons"] == ["absence Formation"]
    assert explain("2027-05-04T10:30:00+02:00")["details"][0]["absence_id"] == absence["id"]
    assert explain("2027-05-06T09:00:00+02:00")["reasons"] == ["jour férié Ascension"]
    assert explain("2027-05-03T12:00:00+02:00")["reasons"] == ["en dehors de toute plage d'ouverture"]
    assert explain("2027-02-01T09:00:00+01:00")["reasons"] == ["dans le passé", "en dehors de toute plage d'ouverture"]


def test_alsace_moselle_good_friday_is_closed(availability):
    from tests.integration.availability.conftest import Org

    alsace = Org(availability, holiday_zone="alsace-moselle")
    metropole = Org(availability)
    for org in (alsace, metropole):
        lieu, motif = org.lieu(), org.motif(duration=60)
        org.plage(agent_id=uuid.uuid4(), lieu_id=lieu, motif_ids=[motif], first_day="2027-03-26", start="09:00",
                  end="10:00")
        org.found = org.creneaux(motif, "2027-03-26", "2027-03-26").json()["items"]
    assert alsace.found == [] and len(metropole.found) == 1


def test_dst_weeks_keep_wall_times(org):
    lieu, motif = org.lieu(), org.motif(duration=60)
    agent = uuid.uuid4()
    every_day = {"every": "week", "interval": 1, "on": WEEKDAYS + ["saturday", "sunday"], "until": None}
    org.plage(agent_id=agent, lieu_id=lieu, motif_ids=[motif], first_day="2027-03-22", start="09:00", end="10:00",
              recurrence=every_day)
    spring = [c["starts_at"] for c in org.creneaux(motif, "2027-03-27", "2027-03-30").json()["items"]]
    # the 29th is Easter Monday
    assert spring == ["2027-03-27T09:00:00+01:00", "2027-03-28T09:00:00+02:00", "2027-03-30T09:00:00+02:00"]
    autumn = [c["starts_at"] for c in org.creneaux(motif, "2027-10-30", "2027-11-02").json()["items"]]
    assert autumn == ["2027-10-30T09:00:00+02:00", "2027-10-31T09:00:00+01:00", "2027-11-02T09:00:00+01:00"]


def test_public_creneaux_apply_online_and_delays_one_per_start_and_lieu(org):
    lieu = org.lieu()
    online = org.motif(duration=30, reservable_online=True, min_booking_delay_minutes=24 * 60,
                       max_booking_delay_days=3)
    hidden = org.motif(duration=30)
    for _ in range(2):
        org.plage(agent_id=uuid.uuid4(), lieu_id=lieu, motif_ids=[online, hidden], first_day="2027-03-01",
                  start="09:00", end="10:00", recurrence=WEEKLY)
    public = org.identity(kind="public")
    body = org.get("/v1/public/creneaux", public, motif_id=online, **{"from": "2027-03-01", "to": "2027-03-10"}).json()
    assert [c["starts_at"] for c in body["items"]] == [
        "2027-03-02T09:00:00+01:00", "2027-03-02T09:30:00+01:00", "2027-03-03T09:00:00+01:00",
        "2027-03-03T09:30:00+01:00"]  # from now + 24 h to now + 3 days, one per start and lieu
    assert "agent_id" not in body["items"][0] and body["items"][0]["lieu_id"] == lieu
    resp = org.get("/v1/public/creneaux", public, motif_id=hidden, **{"from": "2027-03-01", "to": "2027-03-10"})
    assert resp.status_code == 422 and resp.json()["error"]["code"] == "unknown_motif"
    later = org.get("/v1/public/creneaux", public, motif_id=online, **{"from": "2027-02-01", "to": "2027-02-10"})
    assert later.json() == {"items": [], "next_available": "2027-03-02T09:00:00+01:00"}


def test_agenda_shows_occurrences_holidays_and_other_organisations_absence_masked(org, availability):
    from tests.integration.availability.conftest import Org

    lieu, motif = org.lieu(), org.motif()
    agent = uuid.uuid4()
    org.plage(agent_id=agent, lieu_id=lieu, motif_ids=[motif], first_day="2027-04-26", recurrence=WEEKLY)
    org.absence(agent_id=agent, first_day="2027-04-27", start="09:00", end="10:00", title="Dentiste")
    Org(availability).absence(agent_id=agent, first_day="2027-04-28", start="09:00", end="10:00", title="Secret")
    body = org.get("/v1/agenda", agent_id=str(agent), **{"from": "2027-04-26", "to": "2027-05-02"}).json()
    assert [o["starts_at"] for o in body["plages"]] == [f"2027-04-{d}T09:00:00+02:00" for d in (26, 27, 28, 29, 30)]
    assert [(a["title"], a["starts_at"]) for a in body["absences"]] == [
        ("Dentiste", "2027-04-27T09:00:00+02:00"), ("Indisponibilité", "2027-04-28T09:00:00+02:00")]
    assert body["holidays"] == [{"day": "2027-05-01", "name": "Fête du Travail"}]
    assert body["rdvs"] == []


def test_internal_check(org):
    lieu, motif = org.lieu(), org.motif(duration=30)
    agent = uuid.uuid4()
    org.plage(agent_id=agent, lieu_id=lieu, motif_ids=[motif], first_day="2027-05-03", recurrence=WEEKLY)
    org.absence(agent_id=agent, first_day="2027-05-04", start="09:00", end="10:00", title="Formation")

    def check(starts_at, **extra):
        body = {"agent_ids": [str(agent)], "lieu_id": lieu, "motif_id": motif, "starts_at": starts_at, **extra}
        with org.client() as c:
            return c.post("/internal/check", json=body)

    ok = check("2027-05-03T09:00:00+02:00").json()
    assert ok["ok"] is True and ok["ends_at"] == "2027-05-03T09:30:00+02:00"
    assert ok["motif"]["id"] == motif and ok["lieu"]["id"] == lieu
    assert check("2027-05-03T11:45:00+02:00").json()["code"] == "outside_opening"
    assert check("2027-05-03T11:30:00+02:00", duration_minutes=15).json()["ok"] is True
    assert check("2027-05-04T09:30:00+02:00").json()["code"] == "agent_absent"
    holiday = check("2027-05-06T09:00:00+02:00").json()
    assert holiday["ok"] is False and holiday["code"] == "holiday" and holiday["message"]
    with org.client() as c:
        resp = c.post("/internal/check", json={"agent_ids": [str(agent)], "lieu_id": str(uuid.uuid4()),
                                               "motif_id": motif, "starts_at": "2027-05-03T09:00:00+02:00"})
        assert resp.status_code == 422 and resp.json()["error"]["code"] == "unknown_lieu"
    public = org.client(org.identity(kind="public"))
    resp = public.post("/internal/check", json={"agent_ids": [], "lieu_id": lieu, "motif_id": motif, "public": True,
                                                "starts_at": "2027-05-03T09:00:00+02:00"}).json()
    assert resp["ok"] is False and resp["code"] == "outside_opening"  # not reservable online
    with org.client() as c:
        c.patch(f"/v1/motifs/{motif}", json={"reservable_online": True, "max_booking_delay_days": 90})
    resp = public.post("/internal/check", json={"agent_ids": [], "lieu_id": lieu, "motif_id": motif, "public": True,
                                                "starts_at": "2027-05-03T09:00:00+02:00"}).json()
    assert resp["ok"] is True and resp["agent_ids"] == [str(agent)]
    public.close()


def test_internal_check_reads_each_agents_plages_and_absences_of_that_day(org, availability):
    """Two agents at one lieu: each is checked against their own recurring plage and absences (another
    organisation's absence included); the public check picks the first one neither absent nor outside."""
    from tests.integration.availability.conftest import Org

    lieu, other_lieu, motif = org.lieu(), org.lieu(), org.motif(duration=30)
    first, second = sorted((uuid.uuid4(), uuid.uuid4()), key=str)
    for agent in (first, second):
        org.plage(agent_id=agent, lieu_id=lieu, motif_ids=[motif], first_day="2027-05-03", recurrence=WEEKLY)
    org.plage(agent_id=first, lieu_id=other_lieu, motif_ids=[motif], first_day="2027-05-03", start="14:00",
              end="16:00", recurrence=WEEKLY)
    org.absence(agent_id=first, first_day="2027-05-04", start="09:00", end="10:00", title="Réunion",
                recurrence={"every": "week", "interval": 1, "on": ["tuesday"], "until": None})
    Org(availability).absence(agent_id=second, first_day="2027-05-12", start="09:00", end="12:00")
    with org.client() as c:
        assert c.patch(f"/v1/motifs/{motif}", json={"reservable_online": True, "max_booking_delay_days": 90,
                                                      "min_booking_delay_minutes": 0}).status_code == 200

        def check(agent, starts_at, lieu_id=lieu, **extra):
            return c.post("/internal/check", json={"agent_ids": [str(agent)] if agent else [], "lieu_id": lieu_id,
                                                   "motif_id": motif, "starts_at": starts_at, **extra}).json()

        absent = check(first, "2027-05-11T09:30:00+02:00")  # a Tuesday: the weekly absence
        assert absent["code"] == "agent_absent" and absent["details"]["agent_id"] == str(first)
        assert check(second, "2027-05-11T09:30:00+02:00")["ok"] is True
        assert check(first, "2027-05-12T09:30:00+02:00")["ok"] is True
        assert check(second, "2027-05-12T09:30:00+02:00")["code"] == "agent_absent"  # other organisation's
        assert check(first, "2027-05-12T14:30:00+02:00", lieu_id=other_lieu)["ok"] is True
        assert check(second, "2027-05-12T14:30:00+02:00", lieu_id=other_lieu)["code"] == "outside_opening"
    with org.client(org.identity(kind="public")) as public:
        def pick(starts_at):
            return public.post("/internal/check", json={"agent_ids": [], "lieu_id": lieu, "motif_id": motif,
                                                        "public": True, "starts_at": starts_at}).json()

        assert pick("2027-05-11T09:30:00+02:00")["agent_ids"] == [str(second)]
        assert pick("2027-05-12T09:30:00+02:00")["agent_ids"] == [str(first)]
        assert pick("2027-05-10T09:30:00+02:00")["agent_ids"] == [str(first)]
