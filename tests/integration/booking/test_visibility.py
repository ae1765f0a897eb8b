"""Who sees which RDV: the organisation's admin, a basic agent of the motif's service, an assigned agent."""
from __future__ import annotations

import uuid

from tests.integration.booking.world import World, open_desk


def test_another_organisation_gets_404_everywhere(world, booking_service, availability_service):
    desk = open_desk(world)
    rdv = desk.book("2027-03-02T09:00:00+01:00").json()
    stranger = World(booking_service, availability_service).admin
    with world.client(stranger) as c:
        assert c.get(f"/v1/rdvs/{rdv['id']}").status_code == 404
        assert c.patch(f"/v1/rdvs/{rdv['id']}", json={"context": "x"}).status_code == 404
        resp = c.post(f"/v1/rdvs/{rdv['id']}/status", json={"status": "revoked"})
        assert resp.status_code == 404 and resp.json()["error"]["code"] == "not_found"
        assert c.get("/v1/rdvs", params={"agent_id": str(desk.agent_id)}).json()["total"] == 0
    with world.client() as c:
        assert c.get(f"/v1/rdvs/{rdv['id']}").json()["status"] == "unknown"


def test_basic_agents_see_their_services_motifs_and_their_own_rdvs(world):
    desk = open_desk(world)
    other_service = uuid.uuid4()
    assigned = world.identity(role="basic", service_ids=[other_service], agent_id=desk.agent_id)
    colleague = world.identity(role="basic")  # in the motif's service
    outsider = world.identity(role="basic", service_ids=[other_service])
    rdv = desk.book("2027-03-02T09:00:00+01:00").json()
    for who, sees in ((assigned, True), (colleague, True), (outsider, False)):
        with world.client(who) as c:
            assert c.get(f"/v1/rdvs/{rdv['id']}").status_code == (200 if sees else 404)
            listed = c.get("/v1/rdvs", params={"agent_id": str(desk.agent_id)}).json()
            assert [r["id"] for r in listed["items"]] == ([rdv["id"]] if sees else [])
    with world.client(outsider) as c:
        assert c.patch(f"/v1/rdvs/{rdv['id']}", json={"context": "x"}).status_code == 404
        assert c.post(f"/v1/rdvs/{rdv['id']}/status", json={"status": "revoked"}).status_code == 404
    with world.client(assigned) as c:
        assert c.post(f"/v1/rdvs/{rdv['id']}/status", json={"status": "excused"}).status_code == 200


def test_public_identity_cannot_use_agent_routes(world):
    public = world.identity(kind="public")
    with world.client(public) as c:
        assert c.get("/v1/rdvs").status_code == 403
    with world.booking.client() as c:
        assert c.get("/v1/rdvs").status_code == 401
