"""Booking through the gateway's hot route (shared.web.hot) answers as the plain FastAPI route does: the same
creates sent to the system's gateway and to a second gateway on the same databases and services, started with
RDV_HOT_ROUTES=0. Each create of a pair books its own slot (a day apart): the answers are compared but for the
RDV's own id and times."""
from __future__ import annotations

import subprocess
import sys
import time
import uuid

import httpx
import pytest

from rdv.embedded import free_port
from tests.e2e.test_booking_flow import _desk, _usager
from tests.support.answers import comparable_create

_HEADERS = ("content-type", "www-authenticate", "cache-control")


@pytest.fixture(scope="module")
def plain_gateway(system):
    port = free_port()
    env = {**system.env, "RDV_HOT_ROUTES": "0", "GATEWAY_PORT": str(port), "RDV_PORT": str(port)}
    log = open(system.log_path.parent / "gateway-plain.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "rdv.cli", "service", "gateway", "--port", str(port)], env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.25)
    else:
        proc.kill()
        raise RuntimeError("the second gateway did not start")
    yield url
    proc.terminate()
    proc.wait(15)


def test_creates_and_their_refusals_get_the_same_answers_with_and_without_the_hot_route(system, plain_gateway):
    org = system.new_organisation()
    service, motif, lieu, agent, token = _desk(org, days=("2027-03-02", "2027-03-03"))
    with system.client(token) as c:
        usager = _usager(c)
    stranger = str(uuid.uuid4())

    def body(day, hour="09:00", **extra):
        return {"motif_id": motif["id"], "lieu_id": lieu["id"], "agent_ids": [agent["id"]], "usager_ids": [usager],
                "starts_at": f"2027-03-0{day}T{hour}:00+01:00", **extra}

    bearer = {"Authorization": f"Bearer {token}"}
    cases = [
        (lambda day: body(day), bearer),
        (lambda day: body(day, "10:00", duration_minutes=40, context="Renouvellement"), bearer),
        (lambda day: body(day, "14:00"), bearer),  # outside the opening
        (lambda day: body(day, "09:00"), bearer),  # taken by the first case
        (lambda day: body(day, "11:00", agent_ids=[stranger]), bearer),  # not an agent of the organisation
        (lambda day: body(day, "11:00", motif_id=str(uuid.uuid4())), bearer),
        (lambda day: body(day, "11:00", agent_ids=[]), bearer),  # refused by the model
        (lambda day: body(day, "11:00", starts_at="2027-03-02T11:00:00"), bearer),
        (lambda day: body(day, "11:00"), {}),  # no credentials
        (lambda day: body(day, "11:00"), {"Authorization": "Bearer not-a-token"}),
    ]
    statuses, created_hot, created_plain = set(), [], []
    for make, headers in cases:
        with httpx.Client(timeout=30) as c:
            hot = c.post(system.base_url + "/api/v1/rdvs", json=make(2), headers=headers)
            plain = c.post(plain_gateway + "/api/v1/rdvs", json=make(3), headers=headers)
        assert comparable_create(hot, created_hot, headers=_HEADERS) == \
            comparable_create(plain, created_plain, headers=_HEADERS), (make(2), headers)
        statuses.add(hot.status_code)
    assert {201, 401, 409, 422} <= statuses


def test_a_create_retried_on_the_other_gateway_gets_the_first_answer(system, plain_gateway):
    org = system.new_organisation()
    service, motif, lieu, agent, token = _desk(org, days=("2027-03-02",))
    with system.client(token) as c:
        usager = _usager(c)
    body = {"motif_id": motif["id"], "lieu_id": lieu["id"], "agent_ids": [agent["id"]], "usager_ids": [usager],
            "starts_at": "2027-03-02T11:00:00+01:00"}
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex}
    with httpx.Client(timeout=30) as c:
        first = c.post(system.base_url + "/api/v1/rdvs", json=body, headers=headers)
        again = c.post(plain_gateway + "/api/v1/rdvs", json=body, headers=headers)
    assert first.status_code == again.status_code == 201 and again.json() == first.json()


def test_a_cookie_session_needs_its_csrf_token_on_both_paths(system, plain_gateway):
    org = system.new_organisation()
    service, motif, lieu, agent, token = _desk(org, days=("2027-03-02", "2027-03-03"))
    with system.client(token) as c:
        usager = _usager(c)
    with httpx.Client(base_url=system.base_url, timeout=30) as browser:
        login = browser.post("/api/v1/auth/login", json={"email": org.admin_email, "password": "Admin-Pass-2027!"})
        csrf = login.json()["csrf_token"]
        answers = []
        for base, day in ((system.base_url, 2), (plain_gateway, 3)):
            body = {"motif_id": motif["id"], "lieu_id": lieu["id"], "agent_ids": [agent["id"]],
                    "usager_ids": [usager], "starts_at": f"2027-03-0{day}T09:20:00+01:00"}
            denied = browser.post(base + "/api/v1/rdvs", json=body)
            ok = browser.post(base + "/api/v1/rdvs", json=body, headers={"X-CSRF-Token": csrf})
            answers.append((denied.status_code, denied.json(), ok.status_code))
    assert answers[0] == answers[1] and answers[0][0] == 403 and answers[0][2] == 201
