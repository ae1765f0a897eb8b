"""`rdv reporting rebuild`: the projections are dropped and rebuilt from the streams, service running."""
from __future__ import annotations

import uuid

import psycopg

from services.reporting.entrypoints.rebuild import rebuild
from tests.integration.reporting.conftest import World, stats, wait_total
from tests.support.system import wait_until


async def test_rebuild_replays_the_streams_into_fresh_projections(reporting, js, infra):
    w = World(js)
    await w.organisation()
    await w.service("pmi", "PMI")
    await w.agent("alice", "Alice", "Martin", ("pmi",))
    await w.motif("consult", "Consultation", "pmi")
    await w.usager("u", "Léa", "Bernard", "2015-06-01")
    common = dict(motif="consult", service="pmi", agents=["alice"], usagers=["u"])
    await w.rdv("a", starts_at="2027-03-01T09:00:00+01:00", **common)
    await w.rdv("b", starts_at="2027-03-02T09:00:00+01:00", **common)
    await w.status("b", "seen", version=2, starts_at="2027-03-02T09:00:00+01:00", **common)
    admin = w.identity()
    wait_total(reporting, admin, 2)
    wait_until(lambda: stats(reporting, admin)["by_status"]["seen"] == 1, timeout=20)  # b's status change too
    before = stats(reporting, admin, group_by="motif")

    # a row the streams never produced: a rebuilt projection must not have it
    with psycopg.connect(reporting.database_url.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute("insert into rdv_facts (id, organisation_id, starts_at, status) values (%s, %s, now(), 'seen')",
                     (uuid.uuid4(), w.id))
    assert stats(reporting, admin)["total"] == 3

    result = await rebuild(database_url=reporting.database_url, nats_url=infra.nats_url, timeout=120)
    assert result["rdv_facts"] >= 2

    after = wait_total(reporting, admin, 2)
    assert after["by_status"]["seen"] == 1
    assert stats(reporting, admin, group_by="motif")["groups"] == before["groups"]

    # the running service still consumes new events after the rebuild
    await w.rdv("c", starts_at="2027-03-03T09:00:00+01:00", **common)
    wait_total(reporting, admin, 3)
