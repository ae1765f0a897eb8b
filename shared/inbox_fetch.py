"""How an inbox runner takes messages from JetStream: its durable consumer, its pull subscription,
and fetches that answer a lone event at once in quiet times, and by the batch under load (see `shared.inbox`).
"""
from __future__ import annotations

import asyncio
import logging
import time

from nats.js.api import AckPolicy, ConsumerConfig

log = logging.getLogger("rdv.inbox")

# A probe waits at most this long for the pending messages it asks for (see `_probe` below).
PROBE_SECONDS = 0.01


def _pending(msg) -> int:
    """How many messages were still to deliver to the consumer after this one (its JetStream metadata)."""
    try:
        return msg.metadata.num_pending or 0
    except Exception:  # not a JetStream message: nothing known
        return 0


class JetStreamFetching:
    """The JetStream side of `ConsumerRunner`: it reads the runner's consumer (`c`), subscription and waiters."""

    js: object
    _sub: object | None
    waiters: int
    _read_waiting: asyncio.Event  # set when a read comes to wait on this consumer
    _streaming: bool  # the last fetch returned a message (no long poll timed out since)

    async def ensure(self) -> None:
        cfg = ConsumerConfig(
            durable_name=self.c.name,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=self.c.deliver_policy,
            max_deliver=self.c.max_deliver,
            ack_wait=self.c.ack_wait,
            filter_subjects=self.c.subjects if len(self.c.subjects) > 1 else None,
            filter_subject=self.c.subjects[0] if len(self.c.subjects) == 1 else None,
            max_ack_pending=10000,
        )
        try:
            await self.js.add_consumer(self.c.stream, cfg)
        except Exception as exc:  # already exists with another config: update it
            log.info("consumer %s: %s", self.c.name, exc)
            try:
                await self.js.update_consumer(self.c.stream, cfg)
            except Exception as exc2:
                log.warning("consumer %s update: %s", self.c.name, exc2)

    async def _drop_subscription(self) -> None:
        # A pull subscription left behind keeps `nc.drain()` waiting for its whole timeout.
        sub, self._sub = self._sub, None
        if sub is not None:
            try:
                await sub.unsubscribe()
            except Exception:
                pass

    async def _fetch(self) -> list:
        started = time.monotonic()
        try:
            msgs = await self._sub.fetch(1, timeout=1)  # long poll: returns as soon as one message is there
        except asyncio.TimeoutError:
            self._streaming = False  # a second without any event: quiet times
            raise
        waited = time.monotonic() - started
        streaming, self._streaming = self._streaming, True
        if self.c.batch <= 1:
            return msgs
        pending = _pending(msgs[-1])
        if pending:
            # A backlog (load): unless it fills the batch already, the batch fills for max_wait, then takes
            # what is pending (one request for both).
            if self.c.max_wait and pending < self.c.batch - 1:
                await self._linger()
            msgs += await self._drain(self.c.batch - 1)
        elif (self.c.batched and self.c.max_wait and streaming and waited < self.c.max_wait
              and await self._linger()):
            # Nothing else pending, but it came less than max_wait after the consumer was done with the
            # previous ones (load): more follow within max_wait, to share one transaction, one fetch and one
            # write of acknowledgements with it. In quiet times a lone event is applied at once.
            msgs += await self._drain(self.c.batch - 1)
        return msgs

    async def _drain(self, n: int) -> list:
        """The messages pending now, up to `n` (a probe answered late is followed by another)."""
        msgs: list = []
        while len(msgs) < n:
            more = await self._probe(n - len(msgs))
            msgs += more
            if not more or not _pending(more[-1]):
                break
        return msgs

    async def _linger(self) -> bool:
        """Wait max_wait for the batch to fill, unless a read waits on this consumer (reads after writes),
        or comes to wait meanwhile: then the events at hand are applied at once. True when it waited the
        whole max_wait (others may have come: take them), False when a read cut it short (the read must not
        pay for a probe of what may have come meanwhile: that is for the next fetch)."""
        if self.waiters:
            return False
        self._read_waiting.clear()
        try:
            async with asyncio.timeout(self.c.max_wait):
                await self._read_waiting.wait()
        except TimeoutError:
            return True
        return False

    async def _probe(self, n: int) -> list:
        """The messages pending now, up to `n`: nats-py asks with no_wait first, answered at once (with
        nothing there it would then linger for the whole timeout; a late answer waits in the
        subscription's queue for the next fetch)."""
        try:
            return await self._sub.fetch(n, timeout=PROBE_SECONDS)
        except asyncio.TimeoutError:
            return []
