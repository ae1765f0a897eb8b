"""The reliability suite runs its own system (its own NATS and PostgreSQL), since it breaks them."""
import pytest

from tests.support.system import start_system


@pytest.fixture(scope="module")
def rel_system():
    running = start_system()
    yield running
    running.stop()
