"""Creating an RDV through the hot route (shared.web.hot) answers as the plain FastAPI route does: the same
creates sent to two booking processes on one database, one of them with RDV_HOT_ROUTES=0. Each create of a
pair books its own slot (a day apart), so both answers can be compared but for the RDV's own id and times
(tests.support.answers)."""
from __future__ import annotations

import uuid

import httpx
import pytest

from shared.identity import headers_for
from tests.integration.booking.world import open_desk
from tests.support.answers import comparable_create
from tests.support.service import start_service


@pytest.fixture(scope="module")
def plain(infra, clock_env, booking_service, availability_service):
    svc = start_service("booking", infra, database_url=booking_service.database_url,
                        env={**clock_env, "AVAILABILITY_URL": availability_service.base_url,
                             "RDV_HOT_ROUTES": "0"})
    yield svc
    svc.stop()


def _post(svc, body, headers):
    with httpx.Client(base_url=svc.base_url, timeout=30) as c:
        return c.post("/v1/rdvs", json=body, headers=headers)


def test_creates_and_their_refusals_get_the_same_answers_with_and_without_the_hot_route(world, plain):
    desk = open_desk(world, days=("2027-03-02", "2027-03-03"))
    caller = headers_for(world.admin)
    usager = str(uuid.uuid4())

    def body(day, hour="09:00", **extra):
        return {"motif_id": desk.motif_id, "lieu_id": desk.lieu_id, "agent_ids": [str(desk.agent_id)],
                "usager_ids": [usager], "starts_at": f"2027-03-0{day}T{hour}:00+01:00", **extra}

    cases = [
        (lambda day: body(day), caller),
        (lambda day: body(day, "10:00", duration_minutes=45, context="Dossier RSA"), caller),
        (lambda day: body(day, "19:00"), caller),  # outside the opening
        (lambda day: body(day, "19:30", allow_outside_opening=True), caller),
        (lambda day: body(day, "09:00"), caller),  # taken by the first case
        (lambda day: body(day, "11:00", motif_id=str(uuid.uuid4())), caller),  # unknown motif
        (lambda day: body(day, "11:00", agent_ids=[]), caller),  # refused by the model
        (lambda day: body(day, "11:00", starts_at="demain"), caller),
        (lambda day: body(day, "11:00"), {}),  # no identity
        (lambda day: body(day, "11:00"), {"X-Rdv-Identity": "forged.token"}),
        (lambda day: body(day, "11:00"), {**caller, "Idempotency-Key": "k" * 256}),  # key too long
    ]
    statuses, created_hot, created_plain = set(), [], []
    for make, headers in cases:
        hot, route = _post(world.booking, make(2), headers), _post(plain, make(3), headers)
        assert comparable_create(hot, created_hot) == comparable_create(route, created_plain), make(2)
        statuses.add(hot.status_code)
    assert {201, 401, 409, 422} <= statuses


def test_a_create_retried_on_the_other_path_gets_the_first_answer(world, plain):
    desk = open_desk(world, days=("2027-03-02",))
    headers = {**headers_for(world.admin), "Idempotency-Key": uuid.uuid4().hex}
    body = {"motif_id": desk.motif_id, "lieu_id": desk.lieu_id, "agent_ids": [str(desk.agent_id)],
            "usager_ids": [str(uuid.uuid4())], "starts_at": "2027-03-02T14:00:00+01:00"}
    first = _post(world.booking, body, headers)
    again = _post(plain, body, headers)
    assert first.status_code == again.status_code == 201 and again.json() == first.json()
    back = _post(world.booking, body, headers)
    assert back.json() == first.json()
