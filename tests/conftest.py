"""Session fixtures: real PostgreSQL and NATS once per session; the whole system for e2e."""
from __future__ import annotations

import pytest

from tests.support.infra import start_infra


@pytest.fixture(scope="session")
def infra():
    inf = start_infra()
    yield inf
    inf.close()


@pytest.fixture(scope="session")
def system(infra):
    """The whole system (gateway + every service) started by `rdv up` for the session."""
    from tests.support.system import start_system

    running = start_system()
    yield running
    running.stop()
