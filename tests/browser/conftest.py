"""Browser tests: the real web UI in headless Chromium (Debian's /usr/bin/chromium) through Playwright.

Every test fails on a JavaScript error (uncaught exception or console.error); a failing test
leaves a screenshot in test-artifacts/. Data is set up with the admin's API client.
"""
from __future__ import annotations

import os
import re
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("RDV_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--disable-dev-shm-usage"]
# Chrome reports a 4xx answer to fetch() as "Failed to load resource": pages show those errors to the user
# (that is tested), so they are not JavaScript errors. A 5xx still fails the test.
EXPECTED_HTTP = re.compile(r"Failed to load resource: the server responded with a status of 4\d\d")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, f"rep_{rep.when}", rep)


@pytest.fixture(scope="package")  # closed when tests/browser/ is done, before async tests run
def browser():
    from playwright.sync_api import expect

    expect.set_options(timeout=10_000)  # the machine is shared: leave room for a slow moment
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        pytest.skip(f"Chromium absent ({CHROMIUM}) : apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, system, request):
    """A fresh browser context (French, Europe/Paris) on the gateway; fails the test on JS errors."""
    context = browser.new_context(base_url=system.base_url, locale="fr-FR", timezone_id="Europe/Paris",
                                  viewport={"width": 1366, "height": 900}, accept_downloads=True)
    context.set_default_timeout(15_000)
    errors: list[str] = []
    pg = context.new_page()
    pg.on("pageerror", lambda exc: errors.append(f"exception: {exc}"))
    pg.on("console", lambda msg: errors.append(f"console.error: {msg.text} ({msg.location.get('url')})")
          if msg.type == "error" and not EXPECTED_HTTP.search(msg.text) else None)
    pg.js_errors = errors
    yield pg
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    if failed or errors:
        ARTIFACTS.mkdir(exist_ok=True)
        for i, p in enumerate(context.pages):
            try:
                p.screenshot(path=str(ARTIFACTS / f"{request.node.name}-{i}.png"), full_page=True)
            except Exception:
                pass
    context.close()
    assert not errors, "JavaScript errors:\n" + "\n".join(errors)


@dataclass
class Setup:
    """An organisation with a service, a lieu, a motif and a basic agent of that service."""
    org: object
    service: dict
    lieu: dict
    motif: dict
    agent: dict
    agent_email: str
    agent_password: str


def api_ok(resp, status=(200, 201)):
    assert resp.status_code in ((status,) if isinstance(status, int) else status), resp.text
    return resp.json() if resp.content else None


@pytest.fixture
def setup(system) -> Setup:
    org = system.new_organisation()
    suffix = uuid.uuid4().hex[:6]
    with org.admin() as admin:
        service = api_ok(admin.post("/api/v1/services", json={"name": f"PMI {suffix}", "short_name": "PMI"}))
        lieu = api_ok(admin.post("/api/v1/lieux", json={"name": f"Maison des solidarités {suffix}",
                                                        "address": "1 rue de la Paix, 75002 Paris"}))
        motif = api_ok(admin.post("/api/v1/motifs", json={
            "name": f"Consultation {suffix}", "service_id": service["id"], "duration_minutes": 30,
            "location_type": "public_office", "reservable_online": True,
            "min_booking_delay_minutes": 30, "max_booking_delay_days": 90}))
        password = "Agent-Pass-2027!"
        email = f"agent-{suffix}@test.rdv"
        agent = api_ok(admin.post("/api/v1/agents", json={
            "email": email, "first_name": "Camille", "last_name": f"Durand{suffix}", "password": password,
            "role": "basic", "service_ids": [service["id"]]}))
    return Setup(org, service, lieu, motif, agent, email, password)


def open_page(page, path: str) -> None:
    """Go to a page and wait until its script has loaded its data and wired its forms."""
    page.goto(path)
    page.locator("body[data-ready]").wait_for(state="attached")


def login(page, email: str, password: str) -> None:
    open_page(page, "/login")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(re.compile(r".*/$"))
    page.locator("body[data-ready]").wait_for(state="attached")


def create_plage(setup: Setup, *, first_day="2027-03-01", start="09:00", end="12:00",
                 on=("monday", "tuesday", "wednesday", "thursday", "friday")) -> dict:
    """A weekly plage of the setup's agent at its lieu for its motif (through the admin's API)."""
    with setup.org.admin() as admin:
        return api_ok(admin.post("/api/v1/plages", json={
            "agent_id": setup.agent["id"], "lieu_id": setup.lieu["id"], "motif_ids": [setup.motif["id"]],
            "title": "Permanence", "first_day": first_day, "start_time": start, "end_time": end,
            "recurrence": {"every": "week", "interval": 1, "on": list(on), "until": None}}))


def book(setup: Setup, starts_at: str, *, first_name="Jeanne", last_name="Martin") -> tuple[dict, dict]:
    """An usager and an RDV with the setup's agent (through the admin's API); retried while projections settle."""
    from tests.support.system import wait_until

    with setup.org.admin() as admin:
        usager = api_ok(admin.post("/api/v1/usagers", json={"first_name": first_name, "last_name": last_name,
                                                             "phone": "06 12 34 56 78"}))
        body = {"motif_id": setup.motif["id"], "lieu_id": setup.lieu["id"], "agent_ids": [setup.agent["id"]],
                "usager_ids": [usager["id"]], "starts_at": starts_at}

        def attempt():
            resp = admin.post("/api/v1/rdvs", json=body)
            return resp.json() if resp.status_code == 201 else None
        rdv = wait_until(attempt, timeout=15, interval=0.3, message="RDV booked")
        day = starts_at[:10]
        # Availability learns the RDV by events (agenda, absences' conflicts): wait until it knows it.
        wait_until(lambda: rdv["id"] in {r["id"] for r in admin.get("/api/v1/agenda", params={
            "agent_id": setup.agent["id"], "from": day, "to": day}).json().get("rdvs", [])},
            timeout=15, interval=0.2, message="availability knows the RDV")
    return usager, rdv
