"""The inbox's optional batched mode against real PostgreSQL and NATS: one transaction per fetched
batch, each event applied once, and a failing event falls back to the per-message path."""
from __future__ import annotations

import asyncio
import time
import uuid

from sqlalchemy import text

from shared.events import Envelope
from shared.inbox import Consumer, ConsumerRunner
from tests.integration.platform.inbox_support import applied_by_n, setup_inbox_test


async def _wait_for(db, count: int, timeout: float = 20.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = await applied_by_n(db)
        if len(got) >= count:
            return got
        await asyncio.sleep(0.05)
    return await applied_by_n(db)


async def test_batched_consumer_applies_each_event_once_and_survives_a_failing_event(infra):
    db, nc, js = await setup_inbox_test(infra, name="test-batched")
    subject = f"booking.b{uuid.uuid4().hex[:8]}.created"
    failed_once: set[int] = set()
    transactions = []

    async def handler(uow, envelope):
        n = envelope.data["n"]
        if n == 53 and n not in failed_once:  # fails on its first try only
            failed_once.add(n)
            raise RuntimeError("transient failure")
        transactions.append((await uow.execute(text("select txid_current()"))).scalar_one())
        await uow.execute(text("insert into applied (event_id, n) values (:e, :n)"), {"e": envelope.id, "n": n})

    async def publish(numbers):
        events = [Envelope(type=subject, data={"n": n}) for n in numbers]
        for ev in events:
            await js.publish(subject, ev.to_json(), headers={"Nats-Msg-Id": str(ev.id)})
        return events

    spec = Consumer(name=f"test-batched-{uuid.uuid4().hex[:8]}", stream="BOOKING", subjects=[subject],
                    handler=handler, batched=True)
    first = await publish(range(0, 40))
    runner = ConsumerRunner(db, js, spec)
    runner.start()
    await _wait_for(db, 40)
    # most of these events shared a transaction (batches), not one transaction each
    assert len(set(transactions)) < 20

    # then a batch holding a failing event and a duplicate (same event under another message id:
    # JetStream keeps it, the inbox must drop it)
    await publish(range(40, 60))
    await js.publish(subject, first[5].to_json(), headers={"Nats-Msg-Id": f"again-{first[5].id}"})
    got = await _wait_for(db, 60)
    await asyncio.sleep(0.5)  # would a duplicate still arrive?
    await runner.stop()

    assert sorted(got) == list(range(60)), "every event applied"
    assert all(count == 1 for count in (await applied_by_n(db)).values()), "each applied once"
    assert failed_once == {53}
    async with db.uow(autocommit=True) as uow:
        inbox_rows = (await uow.execute(text("select count(*) from inbox where consumer = :c"),
                                        {"c": spec.name})).scalar_one()
    assert inbox_rows == 60
    await nc.close()
    await db.dispose()


async def test_batch_handler_gets_the_new_events_of_a_batch_in_one_call(infra):
    db, nc, js = await setup_inbox_test(infra, name="test-batched")
    subject = f"booking.h{uuid.uuid4().hex[:8]}.created"
    calls: list[int] = []
    singles: list[int] = []

    async def one(uow, envelope):
        singles.append(envelope.data["n"])
        await uow.execute(text("insert into applied (event_id, n) values (:e, :n)"),
                          {"e": envelope.id, "n": envelope.data["n"]})

    async def many(uow, envelopes):
        if any(e.data["n"] == 77 for e in envelopes):
            raise RuntimeError("the whole batch falls back to one by one")
        calls.append(len(envelopes))
        await uow.execute(text("insert into applied (event_id, n) values (:e, :n)"),
                          [{"e": e.id, "n": e.data["n"]} for e in envelopes])

    events = [Envelope(type=subject, data={"n": n}) for n in range(50)]
    for ev in events:
        await js.publish(subject, ev.to_json(), headers={"Nats-Msg-Id": str(ev.id)})
    await js.publish(subject, events[3].to_json(), headers={"Nats-Msg-Id": f"again-{events[3].id}"})
    spec = Consumer(name=f"test-bh-{uuid.uuid4().hex[:8]}", stream="BOOKING", subjects=[subject], handler=one,
                    batched=True, batch_handler=many, batch=500, max_wait=0.02)
    runner = ConsumerRunner(db, js, spec)
    runner.start()
    got = await _wait_for(db, 50)
    assert sorted(got) == list(range(50)) and all(c == 1 for c in got.values())
    assert sum(calls) == 50 and len(calls) < 50 and singles == []

    poisoned = [Envelope(type=subject, data={"n": n}) for n in (76, 77, 78)]
    for ev in poisoned:
        await js.publish(subject, ev.to_json(), headers={"Nats-Msg-Id": str(ev.id)})
    got = await _wait_for(db, 53)
    await asyncio.sleep(0.3)
    await runner.stop()
    assert {76, 77, 78} <= set(got) and all(c == 1 for c in (await applied_by_n(db)).values())
    assert 77 in singles  # applied through the per-message handler
    await nc.close()
    await db.dispose()
