"""« Mon compte »: an agent changes their own profile and password, nothing more."""


def test_basic_agent_edits_own_profile_and_password_but_not_role_or_others(system):
    org = system.new_organisation()
    with org.admin() as c:
        service = c.post("/api/v1/services", json={"name": "RSA", "short_name": "RSA"}).json()
    me, token = org.new_agent(service_ids=[service["id"]])
    colleague, _ = org.new_agent(service_ids=[service["id"]])
    with system.client(token) as c:
        renamed = c.patch(f"/api/v1/agents/{me['id']}", json={"first_name": "Camille"})
        assert renamed.status_code == 200 and renamed.json()["first_name"] == "Camille"
        promoted = c.patch(f"/api/v1/agents/{me['id']}", json={"role": "admin"})
        assert promoted.status_code == 403
        moved = c.patch(f"/api/v1/agents/{me['id']}", json={"service_ids": []})
        assert moved.status_code == 403
        other = c.patch(f"/api/v1/agents/{colleague['id']}", json={"first_name": "Intrus"})
        assert other.status_code == 403
        weak = c.patch(f"/api/v1/agents/{me['id']}", json={"password": "court"})
        assert weak.status_code == 422 and weak.json()["error"]["code"] == "weak_password"
        changed = c.patch(f"/api/v1/agents/{me['id']}", json={"password": "Nouveau-Mot-2027!"})
        assert changed.status_code == 200
        assert c.get("/api/v1/me").status_code == 200, "the session that changed it stays open"
    assert system.login(me["email"], "Nouveau-Mot-2027!")
    with org.admin() as c:
        assert c.get(f"/api/v1/agents/{me['id']}").json()["role"] == "basic"
        assert c.get(f"/api/v1/agents/{colleague['id']}").json()["first_name"] == "Alex"
