"""Reads after writes, the projection's side, against real PostgreSQL and NATS: a read asked to read after a
stream position waits until the consumer has applied (committed and acknowledged) everything up to it, answers
503 past its bound, and pays nothing once the position is known to be applied."""
from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import text

from shared.bus import connect, ensure_streams
from shared.consistency import ReadBarrier
from shared.errors import ServiceUnavailable
from shared.events import Envelope
from shared.inbox import Consumer, ConsumerRunner
from tests.integration.platform.inbox_support import applied_by_n, setup_inbox_test


class CountingJetStream:
    """The real JetStream context, counting the consumer readings the barrier makes."""

    def __init__(self, js):
        self.js = js
        self.readings = 0

    async def consumer_info(self, *args, **kwargs):
        self.readings += 1
        return await self.js.consumer_info(*args, **kwargs)

    def __getattr__(self, name):  # the rest as is: the stream's messages
        return getattr(self.js, name)


async def _setup(infra, *, batched: bool):
    db, nc, js = await setup_inbox_test(infra, name=f"test-barrier-{uuid.uuid4().hex[:6]}")
    subject = f"booking.r{uuid.uuid4().hex[:8]}.created"
    gate = asyncio.Event()

    async def handler(uow, envelope):
        await gate.wait()  # the projection is slow until the test opens the gate
        await uow.execute(text("insert into applied (event_id, n) values (:e, :n)"),
                          {"e": envelope.id, "n": envelope.data["n"]})

    spec = Consumer(name=f"test-barrier-{uuid.uuid4().hex[:8]}", stream="BOOKING", subjects=[subject],
                    handler=handler, batched=batched, max_wait=0.05 if batched else None)
    runner = ConsumerRunner(db, js, spec)
    runner.start()

    async def publish(n: int) -> int:
        event = Envelope(type=subject, data={"n": n})
        return (await js.publish(subject, event.to_json(), headers={"Nats-Msg-Id": str(event.id)})).seq

    return db, nc, js, runner, gate, publish


@pytest.mark.parametrize("batched", [False, True])
async def test_a_read_waits_for_the_position_then_sees_the_write(infra, batched):
    db, nc, js, runner, gate, publish = await _setup(infra, batched=batched)
    counting = CountingJetStream(js)
    barrier = ReadBarrier(counting, [runner], timeout=5.0)
    try:
        position = await publish(1)
        read = asyncio.create_task(barrier.wait({"BOOKING": position}))
        await asyncio.sleep(0.3)
        assert not read.done(), "the read answered before its write was applied"
        assert await applied_by_n(db) == {}
        gate.set()
        waited = await asyncio.wait_for(read, 5)
        assert await applied_by_n(db) == {1: 1}, "the read went on before the write was committed"
        assert 0.3 <= waited < 5
        # Known applied now: the same position again, or a lower one, costs no reading at all.
        readings = counting.readings
        assert await barrier.wait({"BOOKING": position}) == 0.0
        assert await barrier.wait({"BOOKING": position - 1, "USAGERS": 10 ** 9}) == 0.0  # a stream it does not consume
        assert counting.readings == readings
    finally:
        await runner.stop()
        await nc.close()
        await db.dispose()


async def test_a_read_past_its_bound_answers_503_and_concurrent_reads_share_readings(infra):
    db, nc, js, runner, gate, publish = await _setup(infra, batched=True)
    counting = CountingJetStream(js)
    barrier = ReadBarrier(counting, [runner], timeout=0.5)
    try:
        position = await publish(2)
        results = await asyncio.gather(*(barrier.wait({"BOOKING": position}) for _ in range(20)),
                                       return_exceptions=True)
        assert all(isinstance(r, ServiceUnavailable) for r in results), results
        assert results[0].status == 503 and results[0].code == "service_unavailable"
        # 20 reads for 0.5 s, re-reading every few milliseconds: they shared their readings.
        assert counting.readings < 20 * 0.5 / 0.004 / 4
        gate.set()
        assert await asyncio.wait_for(barrier.wait({"BOOKING": position}), 5) >= 0
        assert await applied_by_n(db) == {2: 1}
    finally:
        await runner.stop()
        await nc.close()
        await db.dispose()


async def _idle_consumer(js, subject: str) -> ConsumerRunner:
    """A durable consumer of `subject`, created and never started: what is published to it stays unapplied."""
    runner = ConsumerRunner(None, js, Consumer(name=f"test-idle-{uuid.uuid4().hex[:8]}", stream="BOOKING",
                                               subjects=[subject], handler=None))
    await runner.ensure()
    return runner


async def test_a_message_just_published_is_never_taken_for_applied(infra):
    """Right after a publish is acknowledged, a caught-up consumer's own count may not show the message yet (it
    follows the stream's store a moment later). A reading at that moment must not prove it applied: each
    message here is read about before it is pulled and acknowledged."""
    nc = await connect(infra.nats_url, name="test-barrier-race")
    js = nc.jetstream(timeout=5)
    try:
        await ensure_streams(js)
        subject = f"booking.r{uuid.uuid4().hex[:8]}.created"
        runner = await _idle_consumer(js, subject)
        sub = await js.pull_subscribe_bind(runner.c.name, stream="BOOKING")
        barrier = ReadBarrier(js, [runner], timeout=0.5)
        for n in range(1500):
            position = (await js.publish(subject, b"{}")).seq
            await barrier._read_state(runner, position)
            assert runner.floor < position, f"reading {n}: position {position} taken for applied"
            for msg in await sub.fetch(1, timeout=2):
                await msg.ack_sync()
        await sub.unsubscribe()
    finally:
        await nc.close()


async def test_messages_the_consumer_does_not_take_do_not_hold_a_read(infra):
    """A position of the stream reached by messages of other subjects only: the consumer has nothing to apply,
    and the read goes on at once (the stream is asked which message the consumer takes next: none)."""
    nc = await connect(infra.nats_url, name="test-barrier-others")
    js = nc.jetstream(timeout=5)
    try:
        await ensure_streams(js)
        tag = uuid.uuid4().hex[:8]
        runner = await _idle_consumer(js, f"booking.mine{tag}.>")
        barrier = ReadBarrier(js, [runner], timeout=2.0)
        position = 0
        for _ in range(3):
            position = (await js.publish(f"booking.other{tag}.created", b"{}")).seq
        assert await barrier.wait({"BOOKING": position}) < 1.0
        assert runner.floor >= position
        # One of its own, then others: proven only up to the one before its own.
        own = (await js.publish(f"booking.mine{tag}.created", b"{}")).seq
        later = (await js.publish(f"booking.other{tag}.created", b"{}")).seq
        await barrier._read_state(runner, later)
        assert runner.floor == own - 1
    finally:
        await nc.close()
