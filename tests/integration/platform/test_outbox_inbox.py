"""The outbox and inbox against real PostgreSQL and NATS: nothing lost, nothing applied twice."""
from __future__ import annotations

import asyncio
import threading
import time
import uuid

import pytest
from sqlalchemy import text

from shared.events import Envelope
from shared.inbox import Consumer, ConsumerRunner
from shared.relay import OutboxRelay
from tests.integration.platform.inbox_support import setup_inbox_test


async def _setup(infra):
    return await setup_inbox_test(infra, name="test",
                                  extra_tables=("create table items (id uuid primary key, n int not null)",))


async def _write(db, subject: str, n: int) -> uuid.UUID:
    """One change and its event, in one transaction."""
    async with db.uow() as uow:
        item = uuid.uuid4()
        await uow.execute(text("insert into items (id, n) values (:i, :n)"), {"i": item, "n": n})
        ev = Envelope(type=subject, data={"n": n, "item": str(item)})
        uow.publish(ev)
        await uow.commit()
        return ev.id


def _consumer(db, js, subject: str, calls: list) -> ConsumerRunner:
    async def handler(uow, envelope):
        calls.append(envelope.id)
        await uow.execute(text("insert into applied (event_id, n) values (:e, :n)"),
                          {"e": envelope.id, "n": envelope.data["n"]})

    name = f"test-{uuid.uuid4().hex[:8]}"
    return ConsumerRunner(db, js, Consumer(name=name, stream="BOOKING", subjects=[subject], handler=handler))


async def _applied(db) -> list[tuple]:
    async with db.uow(autocommit=True) as uow:
        return (await uow.execute(text("select event_id, count(*) from applied group by event_id"))).all()


async def _wait(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await predicate():
            return True
        await asyncio.sleep(0.05)
    return False


async def test_event_reaches_consumer_once_when_relay_dies_between_publish_and_mark(infra):
    db, nc, js = await _setup(infra)
    subject = f"booking.t{uuid.uuid4().hex[:8]}.created"
    event_id = await _write(db, subject, 1)

    crashing = OutboxRelay(db, js, service="test")
    crashing.fail_after_publish = True
    with pytest.raises(RuntimeError):
        await crashing.relay_once()  # published, but the row is not marked sent
    assert await crashing.backlog() == 1

    healthy = OutboxRelay(db, js, service="test")
    assert await healthy.relay_once() == 1  # published again: JetStream drops the duplicate
    assert await healthy.backlog() == 0
    await healthy.stop()  # closes its connection

    calls: list = []
    runner = _consumer(db, js, subject, calls)
    runner.start()
    assert await _wait(lambda: _has(db, 1))
    await asyncio.sleep(1.0)  # would a second copy arrive?
    await runner.stop()
    assert await _applied(db) == [(event_id, 1)]
    info = await js.stream_info("BOOKING", subjects_filter=subject)
    assert info.state.subjects == {subject: 1}
    await nc.close()
    await db.dispose()


async def _has(db, count: int) -> bool:
    return len(await _applied(db)) >= count


async def test_consumer_dying_before_ack_gets_event_again_and_applies_it_once(infra):
    db, nc, js = await _setup(infra)
    subject = f"booking.t{uuid.uuid4().hex[:8]}.created"
    event_id = await _write(db, subject, 7)
    relay = OutboxRelay(db, js, service="test")
    await relay.relay_once()
    await relay.stop()

    calls: list = []
    runner = _consumer(db, js, subject, calls)
    runner.c.ack_wait = 1.0  # redeliver quickly
    runner.c.crash_before_ack = True
    runner.start()
    assert await _wait(lambda: _has(db, 1))
    assert await _wait(lambda: _calls_or_redelivered(runner), timeout=10)
    await runner.stop()

    # A new replica of the consumer (same durable) receives the unacked event again.
    again = ConsumerRunner(db, js, runner.c)
    again.c.crash_before_ack = False
    deliveries = []
    original = again.process

    async def counting(msg):
        deliveries.append(msg.metadata.num_delivered)
        await original(msg)

    again.process = counting
    again.start()
    assert await _wait(lambda: _true(bool(deliveries)), timeout=10)
    await asyncio.sleep(0.5)
    await again.stop()
    assert max(deliveries) >= 2, "the event was delivered again"
    assert await _applied(db) == [(event_id, 1)], "and applied once"
    assert calls == [event_id]
    await nc.close()
    await db.dispose()


async def _true(value: bool) -> bool:
    return value


async def _calls_or_redelivered(runner) -> bool:
    await asyncio.sleep(1.5)
    return True


async def test_nats_down_for_10s_during_200_writes_loses_nothing_and_duplicates_nothing(infra):
    if infra.nats is None:
        pytest.skip("needs the embedded NATS to stop and restart it")
    db, nc, js = await _setup(infra)
    subject = f"booking.t{uuid.uuid4().hex[:8]}.created"
    relay = OutboxRelay(db, js, service="test", interval=0.05)
    db.on_commit = relay.wake
    relay.start()
    calls: list = []
    runner = _consumer(db, js, subject, calls)
    runner.start()

    ids = []
    for n in range(100):
        ids.append(await _write(db, subject, n))
    outage = threading.Thread(target=infra.restart_nats, kwargs={"down_seconds": 10})
    outage.start()
    await asyncio.sleep(0.2)
    for n in range(100, 200):
        ids.append(await _write(db, subject, n))  # the database keeps accepting changes
        await asyncio.sleep(0.02)
    await asyncio.to_thread(outage.join)

    assert await _wait(lambda: _has(db, 200), timeout=60), f"only {len(await _applied(db))} applied"
    await asyncio.sleep(1.0)
    await runner.stop()
    await relay.stop()
    applied = dict(await _applied(db))
    assert set(applied) == set(ids)
    assert all(count == 1 for count in applied.values())
    info = await js.stream_info("BOOKING", subjects_filter=subject)
    assert info.state.subjects == {subject: 200}, "no event published twice"
    await nc.close()
    await db.dispose()
