"""The directory through the gateway: bootstrap, login, me, organisation, services, agents."""
from __future__ import annotations

import uuid

from tests.support.system import PLATFORM_KEY


def _org_body(email: str, password: str = "Admin-Pass-2027!", name: str = "Mairie de Saint-Étienne") -> dict:
    return {"name": name, "admin": {"email": email, "first_name": "Ada", "last_name": "Admin",
                                    "password": password}}


def test_bootstrap_needs_the_platform_key(system):
    email = f"boot-{uuid.uuid4().hex[:8]}@test.rdv"
    with system.client() as c:
        assert c.post("/api/v1/organisations", json=_org_body(email)).status_code == 401
        wrong = c.post("/api/v1/organisations", headers={"X-Platform-Key": "nope"}, json=_org_body(email))
        assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "invalid_platform_key"
        resp = c.post("/api/v1/organisations", headers={"X-Platform-Key": PLATFORM_KEY}, json=_org_body(email))
    assert resp.status_code == 201, resp.text
    org = resp.json()
    assert org["slug"].startswith("mairie-de-saint-etienne")
    assert org["timezone"] == "Europe/Paris" and org["holiday_zone"] == "metropole"
    assert org["publish_online"] is False
    token = system.login(email, "Admin-Pass-2027!")
    with system.client(token) as c:
        me = c.get("/api/v1/me").json()
    assert me["role"] == "admin" and me["organisation"]["id"] == org["id"] and me["email"] == email


def test_bootstrap_validates_its_body(system):
    with system.client() as c:
        h = {"X-Platform-Key": PLATFORM_KEY}
        weak = c.post("/api/v1/organisations", headers=h, json=_org_body(f"w-{uuid.uuid4().hex}@test.rdv", "short"))
        assert weak.status_code == 422 and weak.json()["error"]["code"] == "weak_password"
        body = _org_body(f"z-{uuid.uuid4().hex}@test.rdv")
        body["timezone"] = "Mars/Olympus"
        assert c.post("/api/v1/organisations", headers=h, json=body).json()["error"]["code"] == "invalid_timezone"
        body = _org_body(f"z-{uuid.uuid4().hex}@test.rdv")
        body["holiday_zone"] = "atlantide"
        bad = c.post("/api/v1/organisations", headers=h, json=body)
        assert bad.status_code == 422 and "holiday_zone" in bad.json()["error"]["details"]["fields"]


def test_slugs_are_unique(system):
    a = system.new_organisation(name="Même nom")
    b = system.new_organisation(name="Même nom")
    assert a.organisation["slug"] != b.organisation["slug"]


def test_organisation_patch_is_for_admins(system):
    org = system.new_organisation()
    _, basic = org.new_agent(role="basic")
    with system.client(basic) as c:
        assert c.get("/api/v1/organisation").json()["id"] == org.id
        denied = c.patch("/api/v1/organisation", json={"publish_online": True})
        assert denied.status_code == 403 and denied.json()["error"]["code"] == "forbidden"
    with org.admin() as c:
        resp = c.patch("/api/v1/organisation", json={"publish_online": True, "holiday_zone": "alsace-moselle"})
        assert resp.status_code == 200, resp.text
        assert resp.json()["publish_online"] is True and resp.json()["holiday_zone"] == "alsace-moselle"
        assert c.get("/api/v1/organisation").json()["holiday_zone"] == "alsace-moselle"


def test_services_and_agents_crud(system):
    org = system.new_organisation()
    with org.admin() as c:
        pmi = c.post("/api/v1/services", json={"name": "PMI", "short_name": "PMI"})
        assert pmi.status_code == 201, pmi.text
        rsa = c.post("/api/v1/services", json={"name": "RSA"}).json()
        pmi = pmi.json()
        listed = c.get("/api/v1/services").json()
        assert listed["total"] == 2 and {s["name"] for s in listed["items"]} == {"PMI", "RSA"}
        assert c.patch(f"/api/v1/services/{rsa['id']}", json={"name": "Insertion"}).json()["name"] == "Insertion"
        agent, token = org.new_agent(role="basic", service_ids=[pmi["id"]])
        assert agent["service_ids"] == [pmi["id"]] and "password" not in agent and "password_hash" not in agent
        got = c.get(f"/api/v1/agents/{agent['id']}").json()
        assert got["email"] == agent["email"]
        moved = c.patch(f"/api/v1/agents/{agent['id']}", json={"service_ids": [rsa["id"]], "first_name": "Alix"})
        assert moved.status_code == 200 and moved.json()["service_ids"] == [rsa["id"]]
        assert moved.json()["first_name"] == "Alix"
        only_rsa = c.get("/api/v1/agents", params={"service_id": rsa["id"]}).json()
        assert [a["id"] for a in only_rsa["items"]] == [agent["id"]]
        assert c.delete(f"/api/v1/services/{rsa['id']}").status_code == 204
        assert c.get(f"/api/v1/agents/{agent['id']}").json()["service_ids"] == []
        assert c.delete(f"/api/v1/agents/{agent['id']}").status_code == 204
        assert c.get(f"/api/v1/agents/{agent['id']}").status_code == 404
    with system.client(token) as c:
        assert c.get("/api/v1/me").status_code == 401  # a removed agent's sessions end


def test_agent_writes_are_checked(system):
    org = system.new_organisation()
    other = system.new_organisation()
    with other.admin() as c:
        foreign_service = c.post("/api/v1/services", json={"name": "Ailleurs"}).json()
    agent, basic = org.new_agent(role="basic")
    body = {"email": f"x-{uuid.uuid4().hex[:8]}@test.rdv", "first_name": "X", "last_name": "Y",
            "password": "Agent-Pass-2027!", "role": "basic", "service_ids": []}
    with system.client(basic) as c:
        assert c.post("/api/v1/agents", json=body).status_code == 403
        assert c.get("/api/v1/agents").status_code == 200
    with org.admin() as c:
        weak = c.post("/api/v1/agents", json={**body, "password": "alllowercase1!"})
        assert weak.status_code == 422 and weak.json()["error"]["code"] == "weak_password"
        taken = c.post("/api/v1/agents", json={**body, "email": agent["email"].upper()})
        assert taken.status_code == 409 and taken.json()["error"]["code"] == "email_taken"
        foreign = c.post("/api/v1/agents", json={**body, "service_ids": [foreign_service["id"]]})
        assert foreign.status_code == 422 and foreign.json()["error"]["code"] == "unknown_service"
        bad_role = c.post("/api/v1/agents", json={**body, "role": "superuser"})
        assert bad_role.status_code == 422 and "role" in bad_role.json()["error"]["details"]["fields"]
        me = c.get("/api/v1/me").json()
        last = c.patch(f"/api/v1/agents/{me['id']}", json={"role": "basic"})
        assert last.status_code == 409 and last.json()["error"]["code"] == "last_admin"


def test_nul_characters_and_zone_folders_are_422_not_500(system):
    org = system.new_organisation()
    with org.admin() as c:
        nul = c.post("/api/v1/services", json={"name": "a\x00b"})
        assert nul.status_code == 422 and nul.json()["error"]["code"] == "validation_error"
        assert c.get("/api/v1/usagers", params={"q": "a\x00"}).status_code == 422
        folder = c.patch("/api/v1/organisation", json={"timezone": "America"})
        assert folder.status_code == 422 and folder.json()["error"]["code"] == "invalid_timezone"
        assert c.get("/api/v1/services").json()["total"] == 0


def test_one_email_one_account_even_under_concurrency(system):
    from concurrent.futures import ThreadPoolExecutor

    org, other = system.new_organisation(), system.new_organisation()
    body = {"email": f"same-{uuid.uuid4().hex[:8]}@test.rdv", "first_name": "S", "last_name": "T",
            "password": "Agent-Pass-2027!", "role": "basic", "service_ids": []}

    def post(handle):
        with handle.admin() as c:
            return c.post("/api/v1/agents", json=body)

    with ThreadPoolExecutor(4) as pool:
        statuses = sorted(r.status_code for r in pool.map(post, [org, other, org, other]))
    assert statuses == [201, 409, 409, 409]
