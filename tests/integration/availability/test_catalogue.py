"""Lieux and motifs over HTTP: admin writes, pagination, validation, organisations apart."""
from __future__ import annotations

import uuid

from tests.integration.availability.conftest import Org


def test_admin_creates_lists_changes_and_deletes_a_lieu(org):
    lieu = org.post("/v1/lieux", {"name": "Mairie annexe", "address": "2 rue Haute", "phone": "0102030405"})
    assert lieu["name"] == "Mairie annexe" and lieu["phone"] == "0102030405"
    with org.client() as c:
        changed = c.patch(f"/v1/lieux/{lieu['id']}", json={"address": "4 rue Basse"})
        assert changed.status_code == 200 and changed.json()["address"] == "4 rue Basse"
        listed = c.get("/v1/lieux").json()
        assert listed == {"items": [changed.json()], "total": 1, "page": 1, "per_page": 50}
        assert c.delete(f"/v1/lieux/{lieu['id']}").status_code == 204
        assert c.get("/v1/lieux").json()["total"] == 0
        assert c.get(f"/v1/lieux/{lieu['id']}").status_code == 404


def test_basic_agent_reads_but_cannot_write(org):
    basic = org.identity(role="basic")
    org.lieu()
    with org.client(basic) as c:
        assert c.get("/v1/lieux").json()["total"] == 1
        resp = c.post("/v1/lieux", json={"name": "X", "address": "Y"})
        assert resp.status_code == 403 and resp.json()["error"]["code"] == "forbidden"
        resp = c.post("/v1/motifs", json={"name": "X", "service_id": str(uuid.uuid4()), "duration_minutes": 30,
                                          "location_type": "phone"})
        assert resp.status_code == 403


def test_motif_defaults_bounds_and_pagination(org):
    first = org.post("/v1/motifs", {"name": "A premier", "service_id": str(org.service_id), "duration_minutes": 30,
                                    "location_type": "phone"})
    assert (first["reservable_online"], first["min_booking_delay_minutes"], first["max_booking_delay_days"]) == (
        False, 30, 90)
    org.motif()
    org.motif()
    with org.client() as c:
        page = c.get("/v1/motifs", params={"per_page": 2, "page": 2}).json()
        assert page["total"] == 3 and len(page["items"]) == 1 and page["per_page"] == 2
        assert c.get("/v1/motifs", params={"per_page": 201}).status_code == 422
        bad = c.post("/v1/motifs", json={"name": "X", "service_id": str(org.service_id), "duration_minutes": 4,
                                         "location_type": "phone"})
        assert bad.status_code == 422 and "duration_minutes" in bad.json()["error"]["details"]["fields"]
        bad = c.post("/v1/motifs", json={"name": "X", "service_id": str(org.service_id), "duration_minutes": 30,
                                         "location_type": "bureau"})
        assert bad.status_code == 422
        patched = c.patch(f"/v1/motifs/{first['id']}", json={"duration_minutes": 45, "reservable_online": True})
        assert patched.json()["duration_minutes"] == 45 and patched.json()["reservable_online"] is True


def test_another_organisation_sees_nothing(org, availability):
    lieu = org.lieu()
    motif = org.motif()
    stranger = Org(availability)
    with stranger.client() as c:
        assert c.get("/v1/lieux").json()["total"] == 0
        assert c.get(f"/v1/lieux/{lieu}").status_code == 404
        assert c.patch(f"/v1/motifs/{motif}", json={"name": "volé"}).status_code == 404
        assert c.delete(f"/v1/lieux/{lieu}").status_code == 404


def test_without_identity_401(availability):
    import httpx

    assert httpx.get(availability.base_url + "/v1/lieux").status_code == 401
