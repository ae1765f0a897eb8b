"""Changing or deleting a plage that holds RDVs: `dry_run=true` lists the RDVs to come it would leave
outside every plage of their agent (`rdvs_orphaned`) and changes nothing. RDV_NOW = Monday 2027-03-01 08:00."""
from __future__ import annotations

import uuid

import pytest

from tests.integration.availability.conftest import WEEKDAYS
from tests.integration.availability.test_busy_projection import publish, rdv_payload, wait_until


@pytest.fixture
def held(org, infra):
    """A weekday plage 09:00-12:00 (since last week) and the RDVs of its agent, as booking published them."""
    lieu, motif, other_motif = org.lieu(), org.motif(), org.motif()
    agent = uuid.uuid4()
    weekly = {"every": "week", "interval": 1, "on": WEEKDAYS, "until": None}
    plage = org.plage(agent_id=agent, lieu_id=lieu, motif_ids=[motif], first_day="2027-02-22", recurrence=weekly)
    org.plage(agent_id=agent, lieu_id=lieu, motif_ids=[motif], first_day="2027-03-04")  # Thursday, once
    rdvs = {}

    def rdv(name, day, start, end, *, status="unknown", motif_id=motif, who=agent):
        rdvs[name] = rdv_payload(org, agent=who, motif=motif_id, lieu=lieu, status=status,
                                 starts_at=f"{day}T{start}:00+01:00", ends_at=f"{day}T{end}:00+01:00")
        publish(infra, org.organisation_id, "booking.rdv.created", rdvs[name], origin="agent")

    rdv("tuesday", "2027-03-02", "10:00", "10:30")
    rdv("wednesday_late", "2027-03-03", "11:30", "12:00")
    rdv("thursday", "2027-03-04", "10:00", "10:30")  # also held by Thursday's own plage
    rdv("cancelled", "2027-03-02", "11:00", "11:30", status="excused")
    rdv("seen", "2027-03-01", "07:00", "07:30", status="seen")
    rdv("past", "2027-02-26", "10:00", "10:30")  # last Friday, still "à renseigner"
    rdv("other_motif", "2027-03-02", "09:00", "09:30", motif_id=other_motif)
    rdv("other_agent", "2027-03-02", "10:00", "10:30", who=uuid.uuid4())
    wait_until(lambda: len(org.get("/v1/agenda", agent_id=str(agent),
                                   **{"from": "2027-02-26", "to": "2027-03-04"}).json()["rdvs"]) == 7)
    return plage, rdvs, agent


def _ids(answer: dict) -> list[str]:
    return [r["id"] for r in answer["rdvs_orphaned"]]


def test_a_dry_run_delete_lists_the_rdvs_and_deletes_nothing(org, held):
    plage, rdvs, _ = held
    with org.client() as c:
        dry = c.delete(f"/v1/plages/{plage['id']}", params={"dry_run": "true"})
        assert dry.status_code == 200, dry.text
        assert dry.json()["plage"] is None
        assert _ids(dry.json()) == [rdvs["tuesday"]["id"], rdvs["wednesday_late"]["id"]]
        orphan = dry.json()["rdvs_orphaned"][0]
        assert orphan["starts_at"] == "2027-03-02T10:00:00+01:00" and orphan["status"] == "unknown"
        assert orphan["usager_ids"] == rdvs["tuesday"]["usager_ids"]  # the RDV as booking sent it
        assert c.get(f"/v1/plages/{plage['id']}").status_code == 200
        assert c.delete(f"/v1/plages/{plage['id']}").status_code == 204
        assert c.get(f"/v1/plages/{plage['id']}").status_code == 404


def test_a_dry_run_patch_answers_the_plage_as_it_would_be(org, held):
    plage, rdvs, _ = held
    url = f"/v1/plages/{plage['id']}"
    with org.client() as c:
        shorter = c.patch(url, params={"dry_run": "true"}, json={"end_time": "11:30"})
        assert shorter.status_code == 200, shorter.text
        assert shorter.json()["plage"]["end_time"] == "11:30" and shorter.json()["plage"]["id"] == plage["id"]
        assert _ids(shorter.json()) == [rdvs["wednesday_late"]["id"]]
        ended = c.patch(url, params={"dry_run": "true"},
                        json={"recurrence": {"every": "week", "interval": 1, "on": WEEKDAYS, "until": "2027-03-02"}})
        assert _ids(ended.json()) == [rdvs["wednesday_late"]["id"]]  # Thursday's plage still holds Thursday
        untouched = c.patch(url, params={"dry_run": "true"}, json={"title": "Accueil"})
        assert _ids(untouched.json()) == []
        assert c.get(url).json()["end_time"] == "12:00" and c.get(url).json()["title"] == "Permanence"
        refused = c.patch(url, params={"dry_run": "true"}, json={"end_time": "08:00"})
        assert refused.status_code == 422  # checked as the real change would be
        real = c.patch(url, json={"end_time": "11:30"})
        assert real.status_code == 200, real.text
        assert real.json()["end_time"] == "11:30" and _ids(real.json()) == [rdvs["wednesday_late"]["id"]]
        assert c.get(url).json()["end_time"] == "11:30"


def test_moving_a_plage_to_another_agent_orphans_its_rdvs(org, held):
    plage, rdvs, _ = held
    with org.client() as c:
        moved = c.patch(f"/v1/plages/{plage['id']}", params={"dry_run": "true"},
                        json={"agent_id": str(uuid.uuid4())})
    assert _ids(moved.json()) == [rdvs["tuesday"]["id"], rdvs["wednesday_late"]["id"]]


def test_a_basic_agent_cannot_dry_run_someone_else_s_plage(org, held):
    plage, _, _ = held
    with org.client(org.identity(agent_id=uuid.uuid4())) as c:
        assert c.delete(f"/v1/plages/{plage['id']}", params={"dry_run": "true"}).status_code == 403
        assert c.patch(f"/v1/plages/{plage['id']}", params={"dry_run": "true"}, json={"title": "x"}).status_code == 403
