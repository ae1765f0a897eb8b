"""Reads after writes, the projection's side, against real PostgreSQL and NATS: a read asked to read after a
stream position waits until the consumer has applied (committed and acknowledged) everything up to it, answers
503 past its bound, and pays nothing once the position is known to be applied."""
from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import text

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
