"""The outbox relay's lock against real PostgreSQL and NATS: one relay publishes at a time, a write's flush
waits for another replica's round, and no round leaves the lock behind."""
from __future__ import annotations

import asyncio
import json
import uuid

import pytest
from sqlalchemy import text

from shared.bus import connect
from shared.events import Envelope
from shared.relay import _RELAY_LOCK_KEY, OutboxRelay
from tests.integration.platform.inbox_support import setup_inbox_test


async def _write(db, subject: str, n: int) -> uuid.UUID:
    async with db.uow() as uow:
        event = Envelope(type=subject, data={"n": n})
        uow.publish(event)
        await uow.commit()
        return event.id


async def _lock_holders(db) -> int:
    """Sessions holding the relay's lock on this database."""
    async with db.uow(autocommit=True) as uow:
        return (await uow.execute(text(
            "select count(*) from pg_locks where locktype = 'advisory' and granted and database = "
            "(select oid from pg_database where datname = current_database()) "
            "and (classid::bigint << 32 | objid::bigint) = :k"), {"k": _RELAY_LOCK_KEY})).scalar_one()


async def _stream_order(js, subject: str) -> list[int]:
    """The `n` of each message of `subject` on BOOKING, in stream order."""
    sub = await js.subscribe(subject, ordered_consumer=True)
    found = []
    try:
        while True:
            msg = await sub.next_msg(timeout=1)
            found.append((msg.metadata.sequence.stream, json.loads(msg.data)["data"]["n"]))
    except (TimeoutError, asyncio.TimeoutError):
        pass
    finally:
        await sub.unsubscribe()
    return [n for _, n in sorted(found)]


async def test_two_replicas_flushing_publish_each_event_once_in_commit_order(infra):
    db, nc, js = await setup_inbox_test(infra, name="relay-a")
    subject = f"booking.t{uuid.uuid4().hex[:8]}.created"
    replicas = [OutboxRelay(db, js, service="test", stream="BOOKING", interval=0.05) for _ in range(2)]
    for relay in replicas:
        relay.start()
    positions: dict[int, int] = {}
    order: list[int] = []  # commit order, as the writers saw it
    lock = asyncio.Lock()

    async def writer(w: int) -> None:
        for i in range(40):
            n = w * 1000 + i
            async with lock:  # commits in a known order
                await _write(db, subject, n)
                order.append(n)
            positions[n] = await replicas[(w + i) % 2].flush()

    try:
        await asyncio.gather(*(writer(w) for w in range(6)))
        await asyncio.sleep(0.2)  # a few idle rounds of both relays
        assert await _lock_holders(db) == 0, "no relay keeps the lock between rounds"
    finally:
        for relay in replicas:
            await relay.stop()
    published = await _stream_order(js, subject)
    assert published == order, "each event once, in commit order"
    seqs = {n: seq for seq, n in enumerate(published)}
    first = (await js.stream_info("BOOKING", subjects_filter=subject)).state.first_seq
    for n, position in positions.items():
        assert position >= first + seqs[n], f"the flush of {n} answered a position before its event"
    await nc.close()
    await db.dispose()


async def test_a_flush_waits_for_the_round_of_another_replica_and_then_publishes(infra):
    db, nc, js = await setup_inbox_test(infra, name="relay-b")
    subject = f"booking.t{uuid.uuid4().hex[:8]}.created"
    relay = OutboxRelay(db, js, service="test", stream="BOOKING")
    other = await db.connect()  # another replica's relay, in the middle of its round
    await other.execute("select pg_advisory_lock(%s)", (_RELAY_LOCK_KEY,))
    try:
        await _write(db, subject, 1)
        assert await relay.relay_once() == 0, "a background round leaves the rows to the lock's holder"
        flushing = asyncio.create_task(relay.flush())
        await asyncio.sleep(0.5)
        assert not flushing.done(), "a flush waits for the holder"
        await other.execute("select pg_advisory_unlock(%s)", (_RELAY_LOCK_KEY,))
        position = await asyncio.wait_for(flushing, timeout=5)
    finally:
        await other.close()
    info = await js.stream_info("BOOKING", subjects_filter=subject)
    assert info.state.subjects == {subject: 1}
    assert position >= info.state.last_seq
    assert await relay.backlog() == 0
    assert await _lock_holders(db) == 0, "the flush's round let the lock go"
    await relay.stop()
    await nc.close()
    await db.dispose()


@pytest.mark.parametrize("failure", ["publish", "mark"])
async def test_a_round_that_fails_lets_the_lock_go(infra, failure):
    db, nc, js = await setup_inbox_test(infra, name=f"relay-{failure}")
    subject = f"booking.t{uuid.uuid4().hex[:8]}.created"
    await _write(db, subject, 1)
    failing = OutboxRelay(db, js, service="test")
    if failure == "publish":  # a connection to NATS that is gone
        closed = await connect(infra.nats_url, name="relay-closed")
        failing.js = closed.jetstream(timeout=1)
        await closed.close()
    else:
        failing.fail_after_publish = True
    with pytest.raises(RuntimeError):
        await failing.relay_once()
    assert await _lock_holders(db) == 0, "the failed round let its lock go"
    # NATS refusing says nothing of PostgreSQL: the unlocked connection stays; any other failure drops it.
    assert (failing._conn is not None) == (failure == "publish")
    healthy = OutboxRelay(db, js, service="test")
    assert await healthy.relay_once() == 1
    await healthy.stop()
    await failing.stop()
    await nc.close()
    await db.dispose()


async def test_a_flush_goes_through_when_the_relay_connection_was_ended(infra):
    """PostgreSQL ended the relay's session between two rounds (a restart, a failover): the next flush
    finds it gone, and publishes on a new one."""
    db, nc, js = await setup_inbox_test(infra, name="relay-ended")
    subject = f"booking.t{uuid.uuid4().hex[:8]}.created"
    relay = OutboxRelay(db, js, service="test", stream="BOOKING")
    await _write(db, subject, 1)
    await relay.flush()
    ended = relay._conn.info.backend_pid
    async with db.uow(autocommit=True) as uow:
        assert (await uow.execute(text("select pg_terminate_backend(:p)"), {"p": ended})).scalar_one()
    await _write(db, subject, 2)
    position = await relay.flush()
    info = await js.stream_info("BOOKING", subjects_filter=subject)
    assert info.state.subjects == {subject: 2}
    assert position >= info.state.last_seq
    assert relay._conn.info.backend_pid != ended
    await relay.stop()
    await nc.close()
    await db.dispose()
