"""Idempotency-Key on writes, and the audit log of every write through the gateway."""
from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx


def _agent_body() -> dict:
    return {"email": f"idem-{uuid.uuid4().hex[:8]}@test.rdv", "first_name": "Idem", "last_name": "Potent",
            "password": "Agent-Pass-2027!", "role": "basic", "service_ids": []}


def test_same_key_same_body_returns_the_first_response_and_changes_nothing(system):
    org = system.new_organisation()
    key = str(uuid.uuid4())
    with org.admin() as c:
        first = c.post("/api/v1/services", json={"name": "État civil"}, headers={"Idempotency-Key": key})
        again = c.post("/api/v1/services", json={"name": "État civil"}, headers={"Idempotency-Key": key})
        assert first.status_code == again.status_code == 201
        assert first.json() == again.json() and again.headers.get("idempotent-replayed") == "true"
        assert c.get("/api/v1/services").json()["total"] == 1
        reused = c.post("/api/v1/services", json={"name": "Autre"}, headers={"Idempotency-Key": key})
        assert reused.status_code == 422 and reused.json()["error"]["code"] == "idempotency_key_reused"
        assert c.get("/api/v1/services").json()["total"] == 1
        other = c.post("/api/v1/services", json={"name": "État civil"}, headers={"Idempotency-Key": str(uuid.uuid4())})
        assert other.status_code == 201 and other.json()["id"] != first.json()["id"]


def test_keys_belong_to_their_caller(system):
    org = system.new_organisation()
    _, admin2 = org.new_agent(role="admin")
    key = str(uuid.uuid4())
    with org.admin() as c:
        a = c.post("/api/v1/services", json={"name": "A"}, headers={"Idempotency-Key": key}).json()
    with system.client(admin2) as c:
        b = c.post("/api/v1/services", json={"name": "A"}, headers={"Idempotency-Key": key}).json()
    assert a["id"] != b["id"]


def test_a_refused_write_is_not_remembered(system):
    org = system.new_organisation()
    _, basic = org.new_agent(role="basic")
    key = str(uuid.uuid4())
    with org.admin() as c:
        weak = c.post("/api/v1/agents", json={**_agent_body(), "password": "weak"}, headers={"Idempotency-Key": key})
        assert weak.status_code == 422
    with system.client() as anonymous:
        assert anonymous.post("/api/v1/services", json={"name": "x"}, headers={"Idempotency-Key": key}).status_code == 401


def test_concurrent_duplicates_create_one_record(system):
    org = system.new_organisation()
    body = _agent_body()
    key = str(uuid.uuid4())

    def post(_):
        with org.admin() as c:
            return c.post("/api/v1/agents", json=body, headers={"Idempotency-Key": key})

    with ThreadPoolExecutor(6) as pool:
        responses = list(pool.map(post, range(6)))
    statuses = sorted(r.status_code for r in responses)
    assert set(statuses) <= {201, 409}, [r.text for r in responses]
    created = {r.json()["id"] for r in responses if r.status_code == 201}
    assert len(created) == 1
    for r in responses:
        if r.status_code == 409:
            assert r.json()["error"]["code"] == "idempotency_in_progress"
    with org.admin() as c:
        emails = [a["email"] for a in c.get("/api/v1/agents", params={"per_page": 200}).json()["items"]]
    assert emails.count(body["email"]) == 1


def test_every_write_is_audited_and_admins_read_it(system):
    org = system.new_organisation()
    agent, basic = org.new_agent(role="basic")
    with org.admin() as c:
        service = c.post("/api/v1/services", json={"name": "PMI"}).json()
        c.patch(f"/api/v1/services/{service['id']}", json={"name": "PMI 2"})
        denied = c.patch(f"/api/v1/services/{uuid.uuid4()}", json={"name": "?"})
        assert denied.status_code == 404
        me = c.get("/api/v1/me").json()
        log = c.get("/api/v1/audit", params={"resource_id": service["id"]}).json()
        assert [(e["method"], e["status"]) for e in log["items"]] == [("PATCH", 200), ("POST", 201)]
        assert all(e["agent_id"] == me["id"] and e["path"].startswith("/api/v1/services") for e in log["items"])
        by_admin = c.get("/api/v1/audit", params={"agent_id": me["id"], "per_page": 200}).json()
        assert any(e["status"] == 404 for e in by_admin["items"])  # refusals are recorded with their result
        assert any(e["resource_id"] == agent["id"] and e["method"] == "POST" for e in by_admin["items"])
        window = c.get("/api/v1/audit", params={"from": "2027-03-01", "to": "2027-03-01"}).json()
        assert window["total"] >= 3
        assert c.get("/api/v1/audit", params={"from": "2027-03-02"}).json()["total"] == 0
        assert c.get("/api/v1/audit", params={"from": "demain"}).status_code == 422
        page = c.get("/api/v1/audit", params={"per_page": 1}).json()
        assert page["per_page"] == 1 and len(page["items"]) == 1 and page["total"] >= 4
    with system.client(basic) as c:
        assert c.get("/api/v1/audit").status_code == 403
    other = system.new_organisation()
    with other.admin() as c:
        assert c.get("/api/v1/audit", params={"resource_id": service["id"]}).json()["total"] == 0


def test_cookie_writes_are_audited_too(system):
    org = system.new_organisation()
    agent, _ = org.new_agent(role="admin")
    with httpx.Client(base_url=system.base_url, timeout=30) as browser:
        csrf = browser.post("/api/v1/auth/login", json={"email": agent["email"],
                                                        "password": "Agent-Pass-2027!"}).json()["csrf_token"]
        created = browser.post("/api/v1/services", json={"name": "Cookie"}, headers={"X-CSRF-Token": csrf}).json()
        log = browser.get("/api/v1/audit", params={"resource_id": created["id"]}).json()
    assert log["items"][0]["agent_id"] == agent["id"]
