"""Production mode (RDV_ENV=production): no dev platform key, no RDV_NOW, no dev inbox, Secure cookies."""
from __future__ import annotations

from shared.settings import SERVICE_NAMES
from tests.integration.gateway.conftest import PLATFORM_KEY, launch_gateway
from tests.integration.gateway.echo import dead_url

PROD = {"RDV_ENV": "production", "RDV_INTERNAL_SECRET": "a-real-secret-for-this-test",
        **{f"{n.upper()}_URL": dead_url() for n in SERVICE_NAMES}}


def test_production_refuses_the_dev_platform_key(infra):
    gw = launch_gateway(infra, {**PROD, "RDV_PLATFORM_KEY": "dev-platform-key"})
    try:
        assert gw.proc.wait(20) != 0
        assert "refus" in gw.log_path.read_text()
    finally:
        gw.stop()


def test_production_refuses_a_fixed_clock(infra):
    gw = launch_gateway(infra, {**PROD, "RDV_NOW": "2027-03-01T08:00:00+01:00"})
    try:
        assert gw.proc.wait(20) != 0
    finally:
        gw.stop()


def test_production_hides_the_dev_inbox_and_sets_secure_cookies(infra):
    gw = launch_gateway(infra, PROD)
    try:
        assert gw.proc.poll() is None, gw.log_path.read_text()[-2000:]
        admin = {"email": "prod-admin@test.rdv", "first_name": "a", "last_name": "b", "password": "Admin-Pass-2027!"}
        with gw.client() as c:
            assert c.get("/dev/messages").status_code == 404
            refused = c.post("/api/v1/organisations", headers={"X-Platform-Key": "dev-platform-key"},
                             json={"name": "Prod", "admin": admin})
            assert refused.status_code == 401
            created = c.post("/api/v1/organisations", headers={"X-Platform-Key": PLATFORM_KEY},
                             json={"name": "Prod", "admin": admin})
            assert created.status_code == 201
            login = c.post("/api/v1/auth/login", json={"email": admin["email"], "password": admin["password"]})
            assert login.status_code == 200
        for cookie in login.headers.get_list("set-cookie"):
            assert "secure" in cookie.lower()
        session = next(h for h in login.headers.get_list("set-cookie") if h.startswith("rdv_session="))
        assert "httponly" in session.lower() and "samesite=lax" in session.lower()
    finally:
        gw.stop()
