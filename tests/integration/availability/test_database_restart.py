"""Booking's check after PostgreSQL lost every connection of the service (a restart)."""
from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import psycopg

from tests.integration.availability.conftest import Org
from tests.support.service import start_service


def test_the_check_fails_at_most_once_after_every_connection_was_lost(infra):
    svc = start_service("availability", infra)  # its own: the other tests' service keeps its connections
    try:
        org = Org(svc)
        lieu, motif = org.lieu(), org.motif(duration=30)
        body = {"agent_ids": [str(uuid.uuid4())], "lieu_id": lieu, "motif_id": motif,
                "starts_at": "2027-05-03T09:00:00+02:00"}

        def check() -> int:
            with org.client() as c:
                return c.post("/internal/check", json=body).status_code

        with ThreadPoolExecutor(16) as pool:  # several connections in the service's pool
            assert set(pool.map(lambda _: check(), range(64))) == {200}
        database = svc.database_url.rsplit("/", 1)[1]
        with psycopg.connect(infra.admin_url, autocommit=True) as conn:
            killed = conn.execute("select count(pg_terminate_backend(pid)) from pg_stat_activity "
                                  "where datname = %s", (database,)).fetchone()[0]
        assert killed >= 2
        statuses = [check() for _ in range(30)]
        # The first statement on a lost connection fails (500); the service then replaces all of them.
        assert statuses.count(500) <= 1 and set(statuses) <= {200, 500}, statuses
        assert statuses[-1] == 200
    finally:
        svc.stop()
