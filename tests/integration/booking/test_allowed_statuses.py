"""`allowed_statuses` on every RDV answer: exactly what `POST .../status` accepts now from the caller.

RDV_NOW = Monday 2027-03-01 08:00 Paris (07:00 UTC).
"""
from __future__ import annotations

import uuid

import pytest

from tests.integration.booking.world import World, open_desk

STATUSES = ("unknown", "seen", "noshow", "excused", "revoked")
DAY_COME = ["seen", "noshow", "excused", "revoked"]
NOT_YET = ["excused", "revoked"]


def _agents(world: World, desk, days):
    """An admin, a basic agent of the motif's service, and a basic agent who only takes part in the RDV."""
    outsider = uuid.uuid4()
    for day in days:
        world.plage(agent_id=outsider, lieu_id=desk.lieu_id, motif_ids=[desk.motif_id], first_day=day,
                    start="07:00", end="18:00")
    return {"admin": world.admin, "basic": world.identity(agent_id=uuid.uuid4()),
            "assigned": world.identity(agent_id=outsider, service_ids=[uuid.uuid4()])}, outsider


@pytest.mark.parametrize("starts_at, expected", [
    ("2027-03-02T10:00:00+01:00", NOT_YET),  # tomorrow: a_venir
    ("2027-03-01T17:00:00+01:00", DAY_COME),  # later today: its day has come
    ("2027-03-01T07:30:00+01:00", DAY_COME),  # earlier today, already started
    ("2027-02-26T10:00:00+01:00", DAY_COME),  # last Friday, recorded after the fact
])
def test_allowed_statuses_is_what_the_status_route_accepts(world, starts_at, expected):
    days = ("2027-02-26", "2027-03-01", "2027-03-02")
    desk = open_desk(world, days=days, start="07:00", end="18:00")
    callers, outsider = _agents(world, desk, days)
    created = world.book(motif_id=desk.motif_id, lieu_id=desk.lieu_id, agent_ids=[desk.agent_id, outsider],
                         starts_at=starts_at)
    assert created.status_code == 201, created.text
    rdv = created.json()
    assert rdv["allowed_statuses"] == expected
    url = f"/v1/rdvs/{rdv['id']}"
    for name, identity in callers.items():
        with world.client(identity) as c:
            c.post(f"{url}/status", json={"status": "unknown"})  # the previous caller left it decided
            assert c.get(url).json()["allowed_statuses"] == expected, name
            listed = c.get("/v1/rdvs", params={"agent_id": str(desk.agent_id)}).json()["items"]
            assert [r["allowed_statuses"] for r in listed if r["id"] == rdv["id"]] == [expected], name
            for current in ["unknown", *expected]:
                c.post(f"{url}/status", json={"status": "unknown"})
                shown = c.post(f"{url}/status", json={"status": current}).json()
                assert shown["status"] == current, (name, shown)
                for target in STATUSES:
                    if target == current:
                        continue
                    resp = c.post(f"{url}/status", json={"status": target})
                    assert (resp.status_code == 200) == (target in shown["allowed_statuses"]), \
                        (name, current, target, resp.text)
                    if resp.status_code == 200:
                        c.post(f"{url}/status", json={"status": current})


def test_cancelled_and_decided_rdvs_only_go_back_to_unknown(world):
    desk = open_desk(world)
    rdv = desk.book("2027-03-01T10:00:00+01:00").json()
    url = f"/v1/rdvs/{rdv['id']}/status"
    with world.client() as c:
        for status in ("excused", "revoked", "seen", "noshow"):
            changed = c.post(url, json={"status": status}).json()
            assert changed["allowed_statuses"] == ["unknown"], status
            assert c.get(f"/v1/rdvs/{rdv['id']}").json()["allowed_statuses"] == ["unknown"]
            reset = c.post(url, json={"status": "unknown"}).json()
            assert reset["allowed_statuses"] == DAY_COME
        moved = c.patch(f"/v1/rdvs/{rdv['id']}", json={"starts_at": "2027-03-02T10:00:00+01:00"}).json()
        assert moved["allowed_statuses"] == NOT_YET and moved["display_status"] == "a_venir"


def test_too_early_outcome_says_the_day_has_not_come(world):
    desk = open_desk(world)
    rdv = desk.book("2027-03-02T09:00:00+01:00").json()
    with world.client() as c:
        resp = c.post(f"/v1/rdvs/{rdv['id']}/status", json={"status": "seen"})
    assert resp.status_code == 409
    error = resp.json()["error"]
    assert error["code"] == "invalid_transition"
    assert "02/03/2027" in error["message"] and "pas encore arrivé" in error["message"]
    assert error["details"]["rdv_day"] == "2027-03-02"


def test_today_is_the_organisation_s_day_across_its_midnight(world):
    """Nouméa (UTC+11): at RDV_NOW it is 18:00 on 1 March there; 00:30 on 2 March is tomorrow."""
    noumea = World(world.booking, world.availability, timezone="Pacific/Noumea")
    lieu, motif = noumea.lieu(), noumea.motif()
    agent = uuid.uuid4()
    late = noumea.book(motif_id=motif, lieu_id=lieu, agent_ids=[agent], starts_at="2027-03-01T23:30:00+11:00",
                       allow_outside_opening=True)
    after_midnight = noumea.book(motif_id=motif, lieu_id=lieu, agent_ids=[agent],
                                 starts_at="2027-03-02T00:30:00+11:00", allow_outside_opening=True)
    assert late.status_code == 201 and after_midnight.status_code == 201, (late.text, after_midnight.text)
    assert late.json()["display_status"] == "a_renseigner" and late.json()["allowed_statuses"] == DAY_COME
    assert after_midnight.json()["display_status"] == "a_venir"
    assert after_midnight.json()["allowed_statuses"] == NOT_YET
    # The same instants are both on 1 March in Paris (13:30 and 14:30).
    paris = World(world.booking, world.availability, organisation_id=noumea.organisation_id,
                  service_id=noumea.service_id)
    with paris.client() as c:
        assert c.get(f"/v1/rdvs/{after_midnight.json()['id']}").json()["allowed_statuses"] == DAY_COME
