"""Security properties a user cannot see but relies on: headers, CSRF, session renewal,
production refusing development defaults."""
import os
import subprocess
import sys

import httpx
import pytest

from tests.reliability.workload import record

PAGES = ["/login", "/", "/plages", "/absences", "/trouver-un-rdv", "/usagers", "/rdvs", "/statistiques",
         "/mon-compte", "/admin", "/docs", "/api/v1/me", "/healthz"]


def test_security_headers_on_every_page(rel_system):
    missing = {}
    with rel_system.client() as c:
        for path in PAGES:
            resp = c.get(path, follow_redirects=False)
            h = resp.headers
            problems = [name for name, ok in [
                ("content-security-policy", "frame-ancestors" in h.get("content-security-policy", "")),
                ("x-content-type-options", h.get("x-content-type-options") == "nosniff"),
                ("referrer-policy", bool(h.get("referrer-policy"))),
            ] if not ok]
            assert resp.status_code < 500, (path, resp.status_code)
            if problems:
                missing[path] = problems
    assert missing == {}
    record("security_headers", pages=len(PAGES), missing=0)


def test_cookie_writes_need_the_csrf_token_and_login_renews_the_session(rel_system):
    org = rel_system.new_organisation()
    with httpx.Client(base_url=rel_system.base_url, timeout=30) as browser:
        first = browser.post("/api/v1/auth/login", json={"email": org.admin_email, "password": "Admin-Pass-2027!"})
        assert first.status_code == 200
        session_1 = browser.cookies.get("rdv_session")
        csrf = browser.cookies.get("rdv_csrf")
        assert session_1 and csrf
        before = org.admin().get("/api/v1/services").json()["total"]
        refused = browser.post("/api/v1/services", json={"name": "Sans jeton", "short_name": "SJ"})
        assert refused.status_code == 403
        assert refused.json()["error"]["code"]
        assert org.admin().get("/api/v1/services").json()["total"] == before, "nothing changed"
        accepted = browser.post("/api/v1/services", json={"name": "Avec jeton", "short_name": "AJ"},
                                headers={"X-CSRF-Token": csrf})
        assert accepted.status_code == 201

        again = browser.post("/api/v1/auth/login", json={"email": org.admin_email, "password": "Admin-Pass-2027!"})
        assert again.status_code == 200
        session_2 = browser.cookies.get("rdv_session")
        assert session_2 and session_2 != session_1, "a new session id at every login"
    record("csrf_and_session", csrf_refused=True, session_renewed=True)


@pytest.mark.parametrize("extra,reason", [
    ({}, "no internal secret / platform key"),
    ({"RDV_INTERNAL_SECRET": "s" * 32, "RDV_PLATFORM_KEY": "dev-platform-key"}, "dev platform key"),
    ({"RDV_INTERNAL_SECRET": "s" * 32, "RDV_PLATFORM_KEY": "k" * 32, "RDV_NOW": "2027-03-01T08:00:00+01:00"},
     "RDV_NOW"),
])
def test_production_refuses_development_defaults(rel_system, extra, reason):
    env = {k: v for k, v in os.environ.items()
           if k not in ("RDV_INTERNAL_SECRET", "RDV_PLATFORM_KEY", "RDV_NOW", "RDV_NOW_ANCHOR")}
    env.update({"RDV_ENV": "production", "NATS_URL": rel_system.infra.nats_url,
                "GATEWAY_DATABASE_URL": rel_system.env["GATEWAY_DATABASE_URL"]})
    env.update(extra)
    proc = subprocess.run([sys.executable, "-m", "rdv.cli", "service", "gateway", "--port", "0"],
                          env=env, capture_output=True, timeout=60)
    assert proc.returncode != 0, f"production started with {reason}"
