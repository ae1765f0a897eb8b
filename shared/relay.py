"""The outbox relay: publishes a database's outbox rows to JetStream.

It publishes unsent rows in order, with `Nats-Msg-Id` = event id, and marks a row sent only after
JetStream's ack. If the relay dies between the publish and the mark, the row is published again and
JetStream's duplicate window drops the copy.

A write that must answer with its events' position (reads after writes, `shared.consistency`) asks
`flush()`: the flushes of concurrent requests wait together for the relay's next round, which
publishes every row committed before it began; one round answers them all, where
a round per request queued each request on the relay's lock behind the others.
"""
from __future__ import annotations

import asyncio
import logging

import psycopg
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from shared import db_fast, metrics
from shared.db import Database

log = logging.getLogger("rdv.outbox")

# Only one relay per database publishes at a time (ordering per subject across replicas). It is a session
# lock on the relay's own connection, taken by a round's first statement and let go by its last: a round
# is two round trips, where a transaction-level lock cost a BEGIN, a lock and a COMMIT more on every write.
_RELAY_LOCK_KEY = 0x5244_5601

_UNSENT = "select seq, subject, payload::text as payload, headers from outbox where sent_at is null"
# Whether rows wait, the lock (tried only then) and the batch, in one statement: one row with nulls when
# the lock was not taken or nothing waits. The payload is published as stored (no parse and re-encode).
_TAKE = text(
    "with l as materialized (select w.waiting, case when w.waiting then pg_try_advisory_lock(:k) "
    "else false end as locked from (select exists (select from outbox where sent_at is null) as waiting) w) "
    "select l.waiting, l.locked, o.seq, o.subject, o.payload, o.headers from l left join lateral "
    f"({_UNSENT} and l.locked order by seq limit :n) o on true order by o.seq")
# A write's flush while another replica's relay holds the lock: wait for it, then read the batch in a
# statement begun after the wait.
_WAIT_LOCK = text("select pg_advisory_lock(:k)")
_BATCH = text(f"{_UNSENT} order by seq limit :n")
# The lock goes in the same statement as the mark, a moment before its commit: a relay taking the lock
# in that moment reads those rows as unsent and publishes them again, and JetStream drops the copies
# (Nats-Msg-Id, as after a crash between publish and mark).
_MARK_SENT = text("with sent as (update outbox set sent_at = now() where seq = any(:s)) "
                  "select pg_advisory_unlock(:k)")
_UNLOCK = text("select pg_advisory_unlock(:k)")
_BACKLOG = text("select count(*) from outbox where sent_at is null")


class OutboxRelay:
    """Publishes the outbox of one database; wake() after a commit for low latency."""

    def __init__(self, db: Database, js, *, interval: float = 0.2, batch: int = 200,
                 service: str = "service", linger: float = 0.005, stream: str | None = None):
        self.db = db
        self.stream = stream or service.upper()  # where this service's events go (its position)
        self.js = js
        self.interval = interval
        self.linger = linger  # seconds between a wake-up and its round
        self.batch = batch
        self.service = service
        self._wake = asyncio.Event()
        self._flushing = asyncio.Event()  # a flush is waiting: no lingering
        self._waiters: list[asyncio.Future] = []  # flushes waiting for the next round
        self._stopping = False
        self._task: asyncio.Task | None = None
        self._conn: psycopg.AsyncConnection | None = None  # holds the lock during a round
        self._one_round = asyncio.Lock()  # a session lock is re-entrant: this process's rounds take turns
        self.fail_after_publish = False  # test hook: crash between publish and mark

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name=f"outbox-relay-{self.service}")

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        if self._task:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass
        self._answer(self._take_waiters(), error=RuntimeError("outbox relay stopped"))
        async with self._one_round:
            await self._disconnect()

    async def run(self) -> None:
        backoff = self.interval
        while not self._stopping:
            waiters = self._take_waiters()
            try:
                if waiters:
                    self._answer(waiters, position=await self._flush_rounds())
                    waiters = []
                elif await self.relay_once() >= self.batch:
                    continue  # a full batch: more may be waiting, drain without waiting
                # Otherwise the round took every committed row; a commit since then has set the wake-up.
                backoff = self.interval
            except asyncio.CancelledError:
                self._answer(waiters, error=RuntimeError("outbox relay stopped"))
                raise
            except Exception as exc:  # NATS down, DB down: retry with backoff, never give up
                self._answer(waiters, error=exc)
                log.warning("outbox relay (%s): %s; retry in %.1fs", self.service, exc, backoff)
                # A flush asked meanwhile tries at once (its request answers without a position if it fails).
                await self._pause(self._flushing, backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            if not self._waiters:
                # Under load, commits come a few ms apart: gather them into one round (one select,
                # one update) rather than a round per commit; a flush waiting cuts the linger short.
                if await self._pause(self._wake, self.interval):
                    await self._pause(self._flushing, self.linger)
            self._wake.clear()

    @staticmethod
    async def _pause(event: asyncio.Event, seconds: float) -> bool:
        """Wait until `event` is set or `seconds` pass; whether it was set."""
        if event.is_set():
            return True
        try:
            async with asyncio.timeout(seconds):
                await event.wait()
            return True
        except TimeoutError:
            return False

    def _take_waiters(self) -> list[asyncio.Future]:
        waiters, self._waiters = self._waiters, []
        self._flushing.clear()
        return waiters

    @staticmethod
    def _answer(waiters: list[asyncio.Future], *, position: int = 0, error: BaseException | None = None) -> None:
        for waiter in waiters:
            if not waiter.done():  # a request that went away cancelled its wait
                if error is None:
                    waiter.set_result(position)
                else:
                    waiter.set_exception(error)

    async def relay_once(self) -> int:
        """Publish one batch of unsent rows; return how many were published."""
        published, _ = await self._round(flush=False)
        return published

    async def flush(self) -> int:
        """Publish every row committed so far, now, and return a stream position at or after the last
        of them (reads after writes: a write answers it).

        The running relay does it in its next round, for every flush asked until that round begins: the
        round reads the unsent rows after each of those flushes was asked, so after their commits.
        Without a running relay (stopped), the caller does the round itself."""
        if self._task is None or self._task.done() or self._stopping:
            return await self._flush_rounds()
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        self._flushing.set()
        self._wake.set()
        return await waiter

    async def _flush_rounds(self) -> int:
        """Rounds until every committed row is published; a stream position at or after the last of them.
        Rows another replica's relay is publishing are waited for (the same lock orders both); when these
        rounds published nothing, the stream's last sequence stands for them."""
        position = 0
        while True:
            published, last = await self._round(flush=True)
            position = max(position, last)
            if published < self.batch:
                break
        if not position:
            info = await self.js.stream_info(self.stream)
            position = info.state.last_seq
        return position

    async def _round(self, *, flush: bool) -> tuple[int, int]:
        """One round: lock, read a batch of unsent rows, publish, mark and unlock; (rows published, last
        stream seq). `flush` waits for a lock another replica holds rather than leaving the rows to it."""
        async with self._one_round:
            while True:
                kept = self._conn is not None
                if not kept:
                    self._conn = await self.db.connect()
                try:
                    return await self._locked_round(self._conn, flush)
                except _PublishFailed:
                    raise  # NATS refused: the round let the lock go, its connection is sound
                except BaseException as exc:
                    await self._disconnect()  # the lock ends with the session, whatever the round left
                    # A kept connection found gone (PostgreSQL restarted, failed over, ended the session):
                    # once more on a new one, rather than fail the flush of the write that asked.
                    if not (kept and isinstance(exc, DBAPIError) and exc.connection_invalidated):
                        raise

    async def _locked_round(self, conn: psycopg.AsyncConnection, flush: bool) -> tuple[int, int]:
        params = {"k": _RELAY_LOCK_KEY, "n": self.batch}
        taken = await _run(conn, _TAKE, params)
        head = taken[0]
        if not head.waiting or not (head.locked or flush):
            return 0, 0
        if head.locked:
            rows = [row for row in taken if row.seq is not None]
        else:
            await _run(conn, _WAIT_LOCK, params)
            rows = await _run(conn, _BATCH, params)
        if not rows:
            await _run(conn, _UNLOCK, params)
            return 0, 0
        # Publish concurrently on one connection (order is kept by the connection),
        # then wait for every ack before marking.
        futures = [self.js.publish(row.subject, row.payload.encode(), headers=row.headers, timeout=5)
                   for row in rows]
        results = await asyncio.gather(*futures, return_exceptions=True)
        acked, last = [], 0
        for row, res in zip(rows, results):
            if isinstance(res, BaseException):
                break  # keep order: stop at the first failure, retry from there
            acked.append(row.seq)
            last = max(last, res.seq or 0)
        if self.fail_after_publish:
            raise RuntimeError("relay crashed after publish (test hook)")
        if acked:
            await _run(conn, _MARK_SENT, {"k": _RELAY_LOCK_KEY, "s": acked})
            metrics.events_published.labels(self.service).inc(len(acked))
        else:
            await _run(conn, _UNLOCK, params)
        if len(acked) < len(rows):
            err = next(res for res in results if isinstance(res, BaseException))
            raise _PublishFailed(f"publish failed: {err!r}")
        return len(acked), last

    async def _disconnect(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            await conn.close()

    async def backlog(self) -> int:
        async with self.db.uow(autocommit=True) as uow:
            return (await uow.execute(_BACKLOG)).scalar_one()


class _PublishFailed(RuntimeError):
    """JetStream did not take a row of the round (the round marked what went before it, and unlocked)."""


async def _run(conn: psycopg.AsyncConnection, statement, params: dict):
    return (await db_fast.run(conn, db_fast.plan(statement, params), params)).all()
