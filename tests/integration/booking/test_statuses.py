"""Every status transition, on an RDV of today and one of tomorrow (RDV_NOW = Monday 2027-03-01 08:00 Paris)."""
from __future__ import annotations

import psycopg
import pytest

from tests.integration.booking.world import open_desk

STATUSES = ("unknown", "seen", "noshow", "excused", "revoked")


def expected(current: str, target: str, day_has_come: bool) -> bool:
    if target == "unknown":
        return True
    if current != "unknown":
        return False
    return target in ("excused", "revoked") or day_has_come


@pytest.mark.parametrize("when, day_has_come", [("2027-03-01T10:00:00+01:00", True),
                                                ("2027-03-02T10:00:00+01:00", False)])
def test_transition_matrix(world, when, day_has_come):
    desk = open_desk(world)
    rdv = desk.book(when).json()
    assert rdv["display_status"] == ("a_renseigner" if day_has_come else "a_venir")
    url = f"/v1/rdvs/{rdv['id']}/status"
    with world.client() as c:
        for current in STATUSES:
            if not expected("unknown", current, day_has_come):
                continue  # not reachable for this RDV
            for target in STATUSES:
                assert c.post(url, json={"status": "unknown"}).status_code == 200
                if current != "unknown":
                    assert c.post(url, json={"status": current}).status_code == 200
                resp = c.post(url, json={"status": target})
                if expected(current, target, day_has_come):
                    assert resp.status_code == 200, (current, target, resp.text)
                    body = resp.json()
                    assert body["status"] == target
                    assert (body["cancelled_at"] is not None) == (target in ("excused", "revoked"))
                    shown = {"unknown": "a_renseigner" if day_has_come else "a_venir"}.get(target, target)
                    assert body["display_status"] == shown
                else:
                    assert resp.status_code == 409, (current, target, resp.text)
                    assert resp.json()["error"]["code"] == "invalid_transition"
                    assert c.get(f"/v1/rdvs/{rdv['id']}").json()["status"] == current


def test_status_change_event_and_history(world):
    desk = open_desk(world)
    rdv = desk.book("2027-03-01T11:00:00+01:00").json()
    with world.client() as c:
        cancelled = c.post(f"/v1/rdvs/{rdv['id']}/status", json={"status": "revoked"}).json()
        assert cancelled["cancelled_at"].endswith("+01:00")
        c.post(f"/v1/rdvs/{rdv['id']}/status", json={"status": "unknown"})
        assert c.post(f"/v1/rdvs/{rdv['id']}/status", json={"status": "unknown"}).status_code == 200
    url = world.booking.database_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url) as conn:
        events = [r[0] for r in conn.execute(
            "select payload from outbox where payload->'data'->'rdv'->>'id' = %s order by seq", (rdv["id"],))]
        history = conn.execute("select previous_status, status from rdv_status_changes where rdv_id = %s order by id",
                               (rdv["id"],)).fetchall()
    assert [e["type"] for e in events] == ["booking.rdv.created", "booking.rdv.status_changed",
                                           "booking.rdv.status_changed"]
    assert events[1]["data"]["previous_status"] == "unknown" and events[1]["data"]["rdv"]["status"] == "revoked"
    assert events[2]["data"]["previous_status"] == "revoked" and events[2]["data"]["rdv"]["cancelled_at"] is None
    assert events[1]["actor"] == {"kind": "agent", "id": str(world.admin.agent_id)}
    assert history == [("unknown", "revoked"), ("revoked", "unknown")]
