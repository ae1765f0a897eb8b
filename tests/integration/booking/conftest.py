"""Booking over HTTP with the real availability service beside it, on the session's PostgreSQL and NATS.

Both run with the same clock: RDV_NOW = Monday 2027-03-01 08:00 Paris.
"""
from __future__ import annotations

import os
import time

import pytest

from tests.integration.booking.world import World
from tests.support.service import RunningService, start_service

NOW = "2027-03-01T08:00:00+01:00"


@pytest.fixture(scope="session")
def clock_env():
    return {"RDV_NOW": NOW, "RDV_NOW_ANCHOR": str(time.time())}


@pytest.fixture(scope="session")
def availability_service(infra, clock_env):
    external = os.environ.get("BOOKING_TEST_AVAILABILITY_URL")  # an availability already running
    if external:
        yield RunningService("availability", external, "", None, None)  # type: ignore[arg-type]
        return
    svc = start_service("availability", infra, env=clock_env)
    yield svc
    svc.stop()


@pytest.fixture(scope="session")
def booking_service(infra, clock_env, availability_service):
    svc = start_service("booking", infra, env={**clock_env, "AVAILABILITY_URL": availability_service.base_url})
    yield svc
    svc.stop()


@pytest.fixture
def world(booking_service, availability_service) -> World:
    return World(booking_service, availability_service)
