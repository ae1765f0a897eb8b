"""Session fixtures: real PostgreSQL and NATS once per session; the whole system for e2e."""
from __future__ import annotations

import pytest

from tests.support.hangs import watch
from tests.support.infra import start_infra


@pytest.fixture(autouse=True)
def _report_a_hang(request):
    """A test about to be stopped by pytest-timeout first reports what its asyncio tasks were waiting for."""
    marker = request.node.get_closest_marker("timeout")
    limit = float(marker.args[0]) if marker and marker.args else float(request.config.getini("timeout") or 0)
    timer = watch(max(limit - 20, limit * 0.9)) if limit else None
    yield
    if timer:
        timer.cancel()


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
