"""What a write leaves behind, against real PostgreSQL: audit rows, read positions and the Idempotency-Key
answer in one statement; positions only grow; a refused statement keeps the audit rows for the writer; writes
that end together share a statement."""
from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timezone

import pytest
from sqlalchemy import text

from gateway.service_layer import closing
from gateway.service_layer.audit_writer import AuditWriter
from gateway.service_layer.closing import Closer
from gateway.service_layer.idempotency import Write
from gateway.service_layer.unit_of_work import unit_of_work
from shared.db import Database

T0 = datetime(2027, 3, 1, 7, 0, tzinfo=timezone.utc)


def _entry(org: uuid.UUID, n: int, status: int = 201) -> dict:
    return {"organisation_id": org, "agent_id": None, "at": T0, "method": "POST", "path": f"/api/v1/x/{n}",
            "resource_id": str(n), "status": status, "ip": "127.0.0.1", "replayed": False}


async def _rows(db: Database, sql: str, **params) -> list:
    async with unit_of_work(db, autocommit=True) as uow:
        return list(await uow.execute(text(sql), params))


@pytest.fixture
async def db(infra):
    database = Database(infra.migrated_database("gateway"))
    yield database
    await database.dispose()


async def test_one_statement_stores_audit_positions_and_the_answer(db):
    org, other = uuid.uuid4(), uuid.uuid4()
    writer = AuditWriter(db, linger=60)  # not started: its queue is only read by `close`
    writer.add(_entry(org, 0, status=409))  # a write answered earlier, without positions
    caller, key = f"agent:{uuid.uuid4()}", "k1"
    async with unit_of_work(db, autocommit=True) as uow:
        await uow.idempotency.claim(scope=caller, key=key, method="POST", path="/api/v1/x", body_hash="h", now=T0)
    done = closing.Closing()
    done.add_positions(org, {"BOOKING": 7, "USAGERS": 3})
    done.add_positions(org, {"BOOKING": 5})  # a lower one of the same stream: the higher stays
    done.add_positions(other, {"DIRECTORY": 2})
    done.settle(Write(caller=caller, key=key, method="POST", path="/api/v1/x", body_hash="h"),
                (201, {"content-type": "application/json"}, b'{"id": 1}'))
    await closing.close(db=db, closing=done, audit=writer, entry=_entry(org, 1))

    assert writer.take() == []
    assert [r.path for r in await _rows(db, "select path from audit_log where organisation_id = :o order by id",
                                        o=org)] == ["/api/v1/x/0", "/api/v1/x/1"]
    positions = await _rows(db, "select organisation_id, stream, seq from read_positions "
                                "where organisation_id in (:a, :b) order by 1, 2", a=org, b=other)
    assert {(r.organisation_id, r.stream, r.seq) for r in positions} == {
        (org, "BOOKING", 7), (org, "USAGERS", 3), (other, "DIRECTORY", 2)}
    (answer,) = await _rows(db, "select state, response_status, response_body, response_headers "
                                "from idempotency_keys where scope = :s and key = :k", s=caller, k=key)
    assert (answer.state, answer.response_status, bytes(answer.response_body), answer.response_headers) == (
        "done", 201, b'{"id": 1}', {"content-type": "application/json"})

    lower = closing.Closing()
    lower.add_positions(org, {"BOOKING": 6})  # positions only grow
    await closing.close(db=db, closing=lower, audit=writer, entry=None)
    assert (await _rows(db, "select seq from read_positions where organisation_id = :o and stream = 'BOOKING'",
                        o=org))[0].seq == 7


async def test_a_forgotten_key_is_deleted_and_nothing_binding_is_queued(db):
    org = uuid.uuid4()
    writer = AuditWriter(db, linger=60)
    caller = f"agent:{uuid.uuid4()}"
    async with unit_of_work(db, autocommit=True) as uow:
        await uow.idempotency.claim(scope=caller, key="k", method="POST", path="/api/v1/x", body_hash="h", now=T0)
    refused = closing.Closing()
    refused.settle(Write(caller=caller, key="k", method="POST", path="/api/v1/x", body_hash="h"), None)
    await closing.close(db=db, closing=refused, audit=writer, entry=_entry(org, 1, status=401))
    assert await _rows(db, "select 1 from idempotency_keys where scope = :s", s=caller) == []

    await closing.close(db=db, closing=closing.Closing(), audit=writer, entry=_entry(org, 2, status=422))
    assert [e["path"] for e in writer.take()] == ["/api/v1/x/2"]  # left to the batched writer


async def test_a_refused_statement_keeps_the_audit_rows_and_raises(db):
    org = uuid.uuid4()
    writer = AuditWriter(db, linger=60)
    writer.add(_entry(org, 0))
    broken = closing.Closing()
    broken.add_positions(org, {"BOOKING": 1})
    with pytest.raises(Exception):
        await closing.close(db=db, closing=broken, audit=writer, entry={**_entry(org, 1), "method": None})
    kept = writer.take()
    assert [e["path"] for e in kept] == ["/api/v1/x/0", "/api/v1/x/1"]
    assert kept[1]["status"] == 500  # what the client was answered
    assert await _rows(db, "select 1 from read_positions where organisation_id = :o", o=org) == []


async def test_writes_that_end_together_share_a_statement(db, monkeypatch):
    writer = AuditWriter(db, linger=60)
    closer = Closer(db, writer)
    statements = []
    write = closing._write

    async def counted(**kw):
        statements.append(len(kw["ended"]))
        await write(**kw)

    monkeypatch.setattr(closing, "_write", counted)
    orgs = [uuid.uuid4() for _ in range(20)]
    callers = [f"agent:{uuid.uuid4()}" for _ in orgs]
    async with unit_of_work(db, autocommit=True) as uow:
        for caller in callers:
            await uow.idempotency.claim(scope=caller, key="k", method="POST", path="/api/v1/x", body_hash="h",
                                        now=T0)
    ended = []
    for n, (org, caller) in enumerate(zip(orgs, callers)):
        one = closing.Closing()
        one.add_positions(org, {"BOOKING": n + 1})
        one.settle(Write(caller=caller, key="k", method="POST", path="/api/v1/x", body_hash="h"),
                   (201, {}, b"%d" % n) if n % 2 else None)
        ended.append(closer.close(one, _entry(org, n)))
    await asyncio.gather(*ended)

    assert sum(statements) == 20 and len(statements) < 20  # those that ended together, in one
    for n, (org, caller) in enumerate(zip(orgs, callers)):
        assert (await _rows(db, "select seq from read_positions where organisation_id = :o", o=org))[0].seq == n + 1
        assert len(await _rows(db, "select 1 from audit_log where organisation_id = :o", o=org)) == 1
        kept = await _rows(db, "select response_body from idempotency_keys where scope = :s", s=caller)
        assert [bytes(r.response_body) for r in kept] == ([b"%d" % n] if n % 2 else [])


async def test_a_refused_shared_statement_fails_every_write_in_it(db):
    writer = AuditWriter(db, linger=60)
    closer = Closer(db, writer)
    org = uuid.uuid4()
    ended = []
    for n in range(3):
        one = closing.Closing()
        one.add_positions(org, {"BOOKING": n + 1})
        ended.append(closer.close(one, {**_entry(org, n), "method": None} if n == 2 else _entry(org, n)))
    results = await asyncio.gather(*ended, return_exceptions=True)
    assert all(isinstance(r, Exception) for r in results)  # one statement held the three, and a bad row
    assert [e["status"] for e in writer.take()] == [500, 500, 500]  # what each client was answered
    assert await _rows(db, "select 1 from read_positions where organisation_id = :o", o=org) == []

    one = closing.Closing()
    one.add_positions(org, {"BOOKING": 9})
    await closer.close(one, _entry(org, 9))  # the next write is not held back by that failure
    assert (await _rows(db, "select seq from read_positions where organisation_id = :o", o=org))[0].seq == 9
