"""The inbox: durable JetStream pull consumers that apply each event once.

Each handler runs in a transaction that also records the event id in `inbox`; a
redelivered event finds its id there and is acked without being applied again.
A handler raising `RetryLater` (e.g. a projection it needs has not arrived yet) is
nak'ed with a delay; any other error too, until `max_deliver`, after which the message
goes to `deadletter.<consumer>` with the error, and is terminated (never silently lost).

`Consumer(batched=True)` (optional, for high-volume projections) applies a whole fetched batch in
one transaction, inbox rows included, then acks it; if anything in the batch fails, the
transaction is rolled back and each message goes through the per-message path above. With
`batch_handler` the new events of a batch are applied in one call (bulk statements). A fetch takes
the first message as soon as it comes; when others are pending behind it (a backlog), whatever is
pending with it. With `max_wait`, under load (a backlog, or an event that came less than `max_wait` after
the consumer was done with the previous ones), it then waits that long for the batch to fill (each
batch's added lag: keep it well under the projection's freshness needs). A lone event in quiet times, or
one a read waits for, is applied at once.

Fetching from JetStream is `shared/inbox_fetch.py`; the chaos hook that forces redeliveries (tests
and staging only, `RDV_CHAOS_REDELIVER`) is `shared/inbox_chaos.py`.
"""
from __future__ import annotations

import asyncio
import json
import logging
import random
from dataclasses import dataclass, field
from typing import Awaitable, Callable

from nats.js.api import DeliverPolicy
from sqlalchemy import text

from shared import metrics, tracing
from shared.db import Database, UnitOfWork
from shared.events import Envelope
from shared.inbox_chaos import ChaosHook, chaos_probability
from shared.inbox_fetch import JetStreamFetching

log = logging.getLogger("rdv.inbox")

Handler = Callable[[UnitOfWork, Envelope], Awaitable[None]]
BatchHandler = Callable[[UnitOfWork, list[Envelope]], Awaitable[None]]


class RetryLater(Exception):
    """The event cannot be applied yet (missing projection); redeliver it later."""


@dataclass
class Consumer:
    """A durable consumer named `<service>-<purpose>`, shared by all replicas."""

    name: str
    stream: str
    subjects: list[str]
    handler: Handler
    max_deliver: int = 8
    ack_wait: float = 30.0
    batch: int = 100
    deliver_policy: DeliverPolicy = DeliverPolicy.ALL
    batched: bool = False
    # batched mode only, optional: applies the new events of a batch (in order) in one call, e.g.
    # with bulk statements; `handler` still serves the per-message fallback.
    batch_handler: BatchHandler | None = None
    # optional: once more than one message has arrived at once, wait this long for the batch to fill,
    # then take what has arrived (bigger batches under load, at the price of this lag); None: no wait.
    max_wait: float | None = None
    _task: asyncio.Task | None = field(default=None, repr=False)
    # test hooks
    crash_before_ack: bool = field(default=False, repr=False)


# Built once (they run for every event): record event ids, returning those not seen before.
_RECORD_ONE = text("insert into inbox (consumer, event_id, subject) values (:c, :i, :s) "
                   "on conflict do nothing returning event_id")
_RECORD_MANY = text("insert into inbox (consumer, event_id, subject) "
                    "select :c, t.i, t.s from unnest(cast(:ids as uuid[]), cast(:subjects as text[])) as t(i, s) "
                    "on conflict do nothing returning event_id")

def _backoff(attempt: int) -> float:
    return min(0.2 * (2 ** (attempt - 1)), 10.0)


class ConsumerRunner(JetStreamFetching, ChaosHook):
    def __init__(self, db: Database, js, consumer: Consumer):
        self.db = db
        self.js = js
        self.c = consumer
        self._stopping = False
        self._task: asyncio.Task | None = None
        self._sub = None
        self.chaos = chaos_probability()
        self.chaos_naks = 0  # messages nak'ed by the chaos hook (before or after applying)
        self._random = random.Random()
        # Reads after writes (shared.consistency): the highest stream position known to be applied,
        # the reads waiting on this consumer, and a signal set at each acknowledgement.
        self.floor = 0
        self._read_waiting = asyncio.Event()
        self._waiters = 0
        self._streaming = False
        self.proven_until: float | None = None  # epoch seconds up to which all is applied (statistics' as_of)
        self._applied = asyncio.Event()
        if self.chaos:
            log.warning("consumer %s: chaos, redelivery forced with probability %s", consumer.name, self.chaos)

    @property
    def waiters(self) -> int:
        """The reads waiting on this consumer (`shared.consistency.ReadBarrier` counts itself in and out)."""
        return self._waiters

    @waiters.setter
    def waiters(self, count: int) -> None:
        self._waiters = count
        if count:
            self._read_waiting.set()  # a fetch waiting for its batch to fill applies what it has at once

    def _ack(self, msg):
        """Acknowledge; while a read waits on this consumer, wait for the server to have taken the ack, so
        that the consumer state the read asks for next shows it."""
        return msg.ack_sync(timeout=2) if self.waiters else msg.ack()

    def _acknowledged(self) -> None:
        """Wake the reads waiting on this consumer: what it acknowledged is committed."""
        if self.waiters:
            self._applied.set()
            self._applied = asyncio.Event()

    async def applied_signal(self, timeout: float) -> None:
        """Wait for this consumer's next acknowledgement, at most `timeout` seconds."""
        try:
            await asyncio.wait_for(self._applied.wait(), timeout)
        except asyncio.TimeoutError:
            pass

    def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name=f"consumer-{self.c.name}")

    async def stop(self) -> None:
        self._stopping = True
        if self._task:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass
        await self._drop_subscription()

    async def run(self) -> None:
        while not self._stopping:
            try:
                if self._sub is None:
                    await self.ensure()
                    self._sub = await self.js.pull_subscribe_bind(self.c.name, stream=self.c.stream)
                try:
                    msgs = await self._fetch()
                except asyncio.TimeoutError:  # nats' TimeoutError, or asyncio's from some fetch paths
                    continue
                if self.c.batched and len(msgs) > 1:
                    await self.process_batch(msgs)
                else:
                    for msg in msgs:
                        await self.process(msg)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("consumer %s: %r; retrying", self.c.name, exc)
                await self._drop_subscription()
                await asyncio.sleep(1.0)

    async def process(self, msg) -> None:
        try:
            envelope = Envelope.model_validate_json(msg.data)
        except Exception as exc:
            await self._dead_letter(msg, f"invalid envelope: {exc!r}")
            return
        attempt = msg.metadata.num_delivered if msg.metadata else 1
        with tracing.consuming(msg.subject, msg.headers, consumer=self.c.name, event_id=str(envelope.id)) as span:
            await self._process(msg, envelope, attempt, span)

    async def _process(self, msg, envelope: Envelope, attempt: int, span) -> None:
        if self._chaos(msg):  # chaos: redelivered without being applied
            await self._chaos_nak(msg)
            return
        try:
            applied = await self.apply(envelope)
        except Exception as exc:
            span.record_exception(exc)
            metrics.events_consumed.labels(self.c.name, "error").inc()
            if attempt >= self.c.max_deliver:
                await self._dead_letter(msg, repr(exc))
            else:
                level = logging.INFO if isinstance(exc, RetryLater) else logging.WARNING
                log.log(level, "consumer %s: %s on %s (attempt %d): %r", self.c.name,
                        "retry later" if isinstance(exc, RetryLater) else "error", envelope.type, attempt, exc)
                await msg.nak(delay=_backoff(attempt))
            return
        if self.c.crash_before_ack:
            raise RuntimeError("consumer crashed before ack (test hook)")
        if applied and self._chaos(msg):  # chaos: applied and committed, yet delivered again
            metrics.events_consumed.labels(self.c.name, "applied").inc()
            await self._chaos_nak(msg)
            return
        await self._ack(msg)
        self._acknowledged()
        metrics.events_consumed.labels(self.c.name, "applied" if applied else "duplicate").inc()

    async def process_batch(self, msgs) -> None:
        """Apply a fetched batch in one transaction, then ack it; on error, one message at a time."""
        parsed = []
        for msg in msgs:
            try:
                parsed.append((msg, Envelope.model_validate_json(msg.data)))
            except Exception as exc:
                await self._dead_letter(msg, f"invalid envelope: {exc!r}")
        if self.chaos:  # chaos: some messages of the batch are redelivered without being applied
            kept = []
            for msg, envelope in parsed:
                if self._chaos(msg):
                    await self._chaos_nak(msg)
                else:
                    kept.append((msg, envelope))
            parsed = kept
        if not parsed:
            return
        try:
            with tracing.consuming_batch(self.c.name, [msg.headers for msg, _ in parsed]):
                applied = await self.apply_batch([envelope for _, envelope in parsed])
        except Exception as exc:
            # Nothing of the batch was committed: each message gets its own transaction, retry
            # count and dead-letter path, exactly as without batching.
            log.info("consumer %s: batch of %d failed (%r); applying one by one", self.c.name, len(parsed), exc)
            for msg, _ in parsed:
                await self.process(msg)
            return
        if self.c.crash_before_ack:
            raise RuntimeError("consumer crashed before ack (test hook)")
        duplicates = len(parsed) - applied
        if self.chaos:  # chaos: applied and committed, yet some are delivered again
            redeliver = {id(msg) for msg, _ in parsed if self._chaos(msg)}
            for msg, _ in parsed:
                if id(msg) in redeliver:
                    await self._chaos_nak(msg)
            parsed = [(msg, e) for msg, e in parsed if id(msg) not in redeliver]
        if self.waiters:
            await asyncio.gather(*(self._ack(msg) for msg, _ in parsed))
        else:  # each ack only queues its line: they leave in one write to the server
            for msg, _ in parsed:
                await msg.ack()
        self._acknowledged()
        metrics.events_consumed.labels(self.c.name, "applied").inc(applied)
        if duplicates > 0:
            metrics.events_consumed.labels(self.c.name, "duplicate").inc(duplicates)

    async def apply_batch(self, envelopes: list[Envelope]) -> int:
        """Record the ids and run the handlers of the new events in one transaction; return how many."""
        async with self.db.uow() as uow:
            inserted = set((await uow.execute(
                _RECORD_MANY,
                {"c": self.c.name, "ids": [e.id for e in envelopes],
                 "subjects": [e.type for e in envelopes]})).scalars())
            new = []
            for envelope in envelopes:
                if envelope.id in inserted:
                    inserted.discard(envelope.id)  # the same event twice in one batch: apply it once
                    new.append(envelope)
            if self.c.batch_handler is not None:
                if new:
                    await self.c.batch_handler(uow, new)
            else:
                for envelope in new:
                    await self.c.handler(uow, envelope)
            await uow.commit()
            return len(new)

    async def apply(self, envelope: Envelope) -> bool:
        """Apply once: record the id and run the handler in one transaction."""
        async with self.db.uow() as uow:
            inserted = (await uow.execute(
                _RECORD_ONE,
                {"c": self.c.name, "i": envelope.id, "s": envelope.type})).first()
            if inserted is None:
                return False
            await self.c.handler(uow, envelope)
            await uow.commit()
            return True

    async def _dead_letter(self, msg, error: str) -> None:
        body = {"consumer": self.c.name, "subject": msg.subject, "error": error,
                "data": msg.data.decode(errors="replace")}
        try:
            await self.js.publish(f"deadletter.{self.c.name}", json.dumps(body).encode())
            await msg.term()
            log.error("consumer %s: dead-lettered %s: %s", self.c.name, msg.subject, error)
        except Exception as exc:  # cannot dead-letter now: let JetStream redeliver later
            log.error("consumer %s: dead-letter failed (%r); nak", self.c.name, exc)
            await msg.nak(delay=5)
