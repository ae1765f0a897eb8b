"""The gateway's service clients over real HTTP: replicas round-robin, failover, timeouts, 503."""
from __future__ import annotations

import uuid

import pytest

from shared.service_client import ServiceClient, Timeouts
from shared.errors import ServiceUnavailable
from shared.identity import HEADER, Identity, verify
from tests.integration.gateway.echo import EchoServer, dead_url


@pytest.fixture(scope="module")
def echoes():
    servers = [EchoServer().start(), EchoServer().start()]
    yield servers
    for s in servers:
        s.stop()


IDENTITY = Identity(organisation_id=uuid.uuid4(), agent_id=uuid.uuid4(), role="basic",
                    service_ids=[uuid.uuid4()], timezone="America/Cayenne", holiday_zone="guyane")


async def test_calls_spread_over_replicas_and_carry_a_signed_identity(echoes):
    client = ServiceClient("booking", [e.url for e in echoes])
    try:
        answers = [(await client.request("GET", "/v1/rdvs", identity=IDENTITY, params=[("a", "1")],
                                         headers={"idempotency-key": "k1"})).json() for _ in range(4)]
    finally:
        await client.aclose()
    assert {a["port"] for a in answers} == {e.port for e in echoes}
    first = answers[0]
    assert first["path"] == "/v1/rdvs" and first["query"] == [["a", "1"]]
    assert first["headers"]["idempotency-key"] == "k1"
    seen = verify(first["headers"][HEADER.lower()])
    assert seen.organisation_id == IDENTITY.organisation_id and seen.service_ids == IDENTITY.service_ids
    assert seen.timezone == "America/Cayenne" and seen.holiday_zone == "guyane"


async def test_a_dead_replica_is_skipped(echoes):
    client = ServiceClient("booking", [dead_url(), echoes[0].url, dead_url()])
    try:
        for _ in range(6):
            resp = await client.request("POST", "/v1/rdvs", identity=IDENTITY, json={"x": 1})
            assert resp.status_code == 201 and resp.json()["json"] == {"x": 1}
    finally:
        await client.aclose()


async def test_no_replica_answers_503():
    client = ServiceClient("usagers", [dead_url(), dead_url()])
    try:
        with pytest.raises(ServiceUnavailable) as err:
            await client.request("GET", "/v1/usagers", identity=IDENTITY)
    finally:
        await client.aclose()
    assert err.value.status == 503 and err.value.code == "service_unavailable"
    assert err.value.details == {"service": "usagers"}


async def test_a_slow_service_times_out_as_503(echoes):
    client = ServiceClient("reporting", [echoes[0].url], timeout=Timeouts(read=0.3, connect=1))
    try:
        with pytest.raises(ServiceUnavailable):
            await client.request("GET", "/slow", identity=IDENTITY, params={"s": "2"})
    finally:
        await client.aclose()
