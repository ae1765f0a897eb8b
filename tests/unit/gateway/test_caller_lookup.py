"""The caller's credentials are read in one place, and its session is looked up once per request."""
from __future__ import annotations

import asyncio
import uuid
from types import SimpleNamespace

import pytest

from gateway.domain.model import Agent, Organisation, Principal
from gateway.entrypoints.auth import dependencies
from gateway.entrypoints.auth.credentials import Credentials, credentials, session_cookie
from shared.errors import Unauthorized


def scope(*headers: tuple[str, str]) -> dict:
    return {"type": "http", "headers": [(k.encode(), v.encode()) for k, v in headers],
            "app": SimpleNamespace(state=SimpleNamespace(runtime=SimpleNamespace(db="db")))}


def test_the_bearer_token_wins_over_the_session_cookie():
    found = credentials(scope(("authorization", "Bearer abc"), ("cookie", "rdv_session=xyz")))
    assert found == Credentials("abc", via_cookie=False)


def test_the_session_cookie_among_others():
    found = credentials(scope(("cookie", "theme=dark; rdv_session=xyz; rdv_csrf=c")))
    assert found == Credentials("xyz", via_cookie=True)
    assert credentials(scope(("authorization", "Basic abc"))) is None
    assert credentials(scope(("cookie", "rdv_session="))) is None  # sent empty: no credentials
    assert session_cookie(scope(("cookie", "rdv_session="))) == ""  # but a cookie the pages see
    assert session_cookie(scope()) is None


def _principal() -> Principal:
    org = Organisation(id=uuid.uuid4(), name="O", slug="o", timezone="Europe/Paris", holiday_zone="metropole",
                       publish_online=False)
    agent = Agent(id=uuid.uuid4(), organisation_id=org.id, email="a@b.fr", first_name="A", last_name="B",
                  role="basic")
    return Principal(agent=agent, organisation=org, session_id=uuid.uuid4(), csrf_token="c", via_cookie=False)


def test_one_lookup_serves_the_middleware_and_the_route(monkeypatch):
    calls = []
    principal, named = _principal(), uuid.uuid4()

    async def authenticate(*, db, token, via_cookie, agent_ids):
        calls.append((token, list(agent_ids)))
        return principal, {named}

    monkeypatch.setattr(dependencies.auth, "authenticate", authenticate)
    request = scope(("authorization", "Bearer abc"))
    first = asyncio.run(dependencies.authenticate_scope(request, agent_ids=[named]))
    again = asyncio.run(dependencies.authenticate_scope(request))
    assert calls == [("abc", [named])]
    assert again is first and first.principal is principal
    assert first.named == {named} and first.known == {named}  # what the lookup checked, for ensure_agents


def test_a_refused_lookup_is_kept_too(monkeypatch):
    calls = []

    async def authenticate(**kw):
        calls.append(kw)
        raise Unauthorized("Session inconnue ou terminée. Connectez-vous.")

    monkeypatch.setattr(dependencies.auth, "authenticate", authenticate)
    request = scope(("cookie", "rdv_session=gone"))
    for _ in range(2):
        with pytest.raises(Unauthorized):
            asyncio.run(dependencies.authenticate_scope(request))
    assert len(calls) == 1
    with pytest.raises(Unauthorized):  # without credentials: no lookup at all
        asyncio.run(dependencies.authenticate_scope(scope()))
    assert len(calls) == 1
