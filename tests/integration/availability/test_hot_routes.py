"""Booking's check with the hot route (shared.web.hot) answers as the plain FastAPI route does: the same calls
to two availability processes on one database, one of them with RDV_HOT_ROUTES=0."""
from __future__ import annotations

import time
import uuid

import httpx
import pytest

from shared.identity import headers_for
from tests.integration.availability.conftest import NOW
from tests.support.service import start_service


@pytest.fixture(scope="module")
def plain(infra, availability):
    svc = start_service("availability", infra, database_url=availability.database_url,
                        env={"RDV_NOW": NOW, "RDV_NOW_ANCHOR": str(time.time()), "RDV_HOT_ROUTES": "0"})
    yield svc
    svc.stop()


def _both(org, plain, body=None, *, headers=None, content=None):
    answers = []
    for svc in (org.svc, plain):
        with httpx.Client(base_url=svc.base_url, timeout=30) as c:
            resp = c.post("/internal/check", json=body, content=content,
                          headers=headers_for(org.admin) if headers is None else headers)
        answers.append((resp.status_code, resp.json(), resp.headers.get("content-type")))
    return answers


def test_every_kind_of_check_gets_the_same_answer_with_and_without_the_hot_route(org, plain):
    agent, lieu, motif = uuid.uuid4(), org.lieu(), org.motif(duration=30)
    org.plage(agent_id=agent, lieu_id=lieu, motif_ids=[motif], first_day="2027-03-02", start="09:00", end="12:00")
    org.absence(agent_id=agent, first_day="2027-03-02", start="11:00", end="12:00")
    base = {"agent_ids": [str(agent)], "lieu_id": lieu, "motif_id": motif, "duration_minutes": None}
    calls = [
        {**base, "starts_at": "2027-03-02T09:30:00+01:00"},  # open
        {**base, "starts_at": "2027-03-02T13:00:00+01:00"},  # outside the plage
        {**base, "starts_at": "2027-03-02T11:00:00+01:00"},  # in the absence
        {**base, "starts_at": "2027-03-02T11:00:00+01:00", "all_reasons": True},
        {**base, "starts_at": "2027-04-05T09:30:00+02:00"},  # Easter Monday
        {**base, "starts_at": "2027-03-02T09:30:00+01:00", "duration_minutes": 240},
        {**base, "agent_ids": [], "starts_at": "2027-03-02T09:30:00+01:00", "public": True},
        {**base, "motif_id": str(uuid.uuid4()), "starts_at": "2027-03-02T09:30:00+01:00"},  # unknown motif
        {**base, "starts_at": "2027-03-02T09:30:00+01:00", "duration_minutes": 0},  # refused by the model
        {**base, "starts_at": "demain"},
        {**base, "starts_at": "2027-03-02T09:30:00"},  # no offset
        {"motif_id": motif},
    ]
    statuses = set()
    for body in calls:
        hot, route = _both(org, plain, body)
        assert hot == route, body
        statuses.add(hot[0])
    assert statuses == {200, 422}


def test_refused_callers_and_bodies_that_are_not_json_get_the_same_answer(org, plain):
    body = {"agent_ids": [str(uuid.uuid4())], "motif_id": str(uuid.uuid4()), "starts_at": "2027-03-02T09:30:00+01:00"}
    for headers, content in [({}, None), ({"X-Rdv-Identity": "forged.token"}, None),
                             (None, b"{not json"), (None, b"")]:
        if content is not None:
            headers = {**headers_for(org.admin), "content-type": "application/json"}
        hot, route = _both(org, plain, body if content is None else None, headers=headers, content=content)
        assert hot == route and hot[0] in (401, 422), (headers, content)
