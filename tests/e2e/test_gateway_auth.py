"""Authentication through the gateway: tokens, cookies + CSRF, logout, throttling, headers."""
from __future__ import annotations

import uuid

import httpx


def _new_login(system):
    org = system.new_organisation()
    agent, _ = org.new_agent(role="admin")
    return org, agent["email"], "Agent-Pass-2027!"


def test_login_returns_token_agent_and_cookies(system):
    org, email, password = _new_login(system)
    with system.client() as c:
        resp = c.post("/api/v1/auth/login", json={"email": email.upper(), "password": password})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["token"] and body["csrf_token"] and body["agent"]["email"] == email
    assert body["agent"]["organisation"]["id"] == org.id and body["agent"]["role"] == "admin"
    cookies = resp.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("rdv_session="))
    csrf = next(c for c in cookies if c.startswith("rdv_csrf="))
    assert "httponly" in session.lower() and "samesite=lax" in session.lower()
    assert "httponly" not in csrf.lower() and body["csrf_token"] in csrf
    assert "secure" not in session.lower()  # test mode; Secure in production


def test_wrong_password_and_unknown_email_look_alike(system):
    _, email, _ = _new_login(system)
    with system.client() as c:
        wrong = c.post("/api/v1/auth/login", json={"email": email, "password": "Wrong-Pass-2027!"})
        unknown = c.post("/api/v1/auth/login", json={"email": f"nobody-{uuid.uuid4().hex}@test.rdv",
                                                     "password": "Wrong-Pass-2027!"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["error"]["code"] == unknown.json()["error"]["code"] == "invalid_credentials"


def test_anonymous_and_bad_tokens_get_401(system):
    with system.client() as c:
        assert c.get("/api/v1/me").json()["error"]["code"] == "unauthorized"
    with system.client("not-a-token") as c:
        assert c.get("/api/v1/me").status_code == 401


def test_logout_revokes_the_token(system):
    _, email, password = _new_login(system)
    first, second = system.login(email, password), system.login(email, password)
    with system.client(first) as c:
        assert c.get("/api/v1/me").status_code == 200
        assert c.post("/api/v1/auth/logout").status_code == 204
        assert c.get("/api/v1/me").status_code == 401
    with system.client(second) as c:  # other sessions live on
        assert c.get("/api/v1/me").status_code == 200


def test_cookie_session_needs_csrf_on_writes(system):
    org, email, password = _new_login(system)
    with httpx.Client(base_url=system.base_url, timeout=30) as browser:
        login = browser.post("/api/v1/auth/login", json={"email": email, "password": password})
        csrf = login.json()["csrf_token"]
        assert browser.cookies.get("rdv_csrf") == csrf
        assert browser.get("/api/v1/me").status_code == 200  # reads need no CSRF token
        denied = browser.post("/api/v1/services", json={"name": "Sans jeton"})
        assert denied.status_code == 403 and denied.json()["error"]["code"] == "csrf_failed"
        wrong = browser.post("/api/v1/services", json={"name": "Faux jeton"}, headers={"X-CSRF-Token": "x" * 32})
        assert wrong.status_code == 403
        ok = browser.post("/api/v1/services", json={"name": "Avec jeton"}, headers={"X-CSRF-Token": csrf})
        assert ok.status_code == 201, ok.text
        names = {s["name"] for s in browser.get("/api/v1/services").json()["items"]}
        assert names == {"Avec jeton"}  # the refused writes changed nothing
        # a form post carries the token as a field; logout with it ends the cookie session
        out = browser.post("/api/v1/auth/logout", data={"csrf_token": csrf})
        assert out.status_code == 204
        assert browser.get("/api/v1/me").status_code == 401


def test_login_renews_the_session_id(system):
    _, email, password = _new_login(system)
    with httpx.Client(base_url=system.base_url, timeout=30) as browser:
        old = browser.post("/api/v1/auth/login", json={"email": email, "password": password}).json()["token"]
        new = browser.post("/api/v1/auth/login", json={"email": email, "password": password}).json()["token"]
        assert old != new and browser.cookies.get("rdv_session") == new
    with system.client(old) as c:
        assert c.get("/api/v1/me").status_code == 401  # the cookie session presented at login was replaced
    with system.client(new) as c:
        assert c.get("/api/v1/me").status_code == 200


def test_ten_failures_in_fifteen_minutes_lock_the_email_for_this_ip(system):
    _, email, password = _new_login(system)
    with system.client() as c:
        for _ in range(10):
            assert c.post("/api/v1/auth/login", json={"email": email, "password": "Wrong-Pass-2027!"}).status_code == 401
        locked = c.post("/api/v1/auth/login", json={"email": email, "password": password})
        assert locked.status_code == 429 and locked.json()["error"]["code"] == "too_many_attempts"
        other = c.post("/api/v1/auth/login", json={"email": f"x{email}", "password": "Wrong-Pass-2027!"})
        assert other.status_code == 401  # another email is not locked


def test_security_headers_and_health(system):
    with system.client() as c:
        resp = c.get("/healthz")
        assert resp.json()["status"] == "ok" and resp.json()["now"].startswith("2027-03-01")
        for path in ("/healthz", "/api/v1/me", "/openapi.json"):
            h = c.get(path).headers
            assert "frame-ancestors 'none'" in h["content-security-policy"]
            assert h["x-content-type-options"] == "nosniff" and h["referrer-policy"]
        ready = c.get("/readyz").json()
        assert {"database", "nats", "availability", "booking", "usagers", "notifications", "reporting"} <= set(ready)
