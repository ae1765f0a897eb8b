"""How an inbox runner takes messages from JetStream: its durable consumer, its pull subscription,
and fetches that answer a lone event at once and a backlog by the batch (see `shared.inbox`).
"""
from __future__ import annotations

import asyncio
import logging
import time

from nats.js.api import AckPolicy, ConsumerConfig

log = logging.getLogger("rdv.inbox")

# A first message fetched within BACKLOG_SECONDS was waiting already (a backlog): fetch what is pending with it,
# for at most PROBE_SECONDS (see `_fetch` below).
BACKLOG_SECONDS = 0.005
PROBE_SECONDS = 0.01


class JetStreamFetching:
    """The JetStream side of `ConsumerRunner`: it reads the runner's consumer (`c`), subscription and waiters."""

    js: object
    _sub: object | None
    waiters: int

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
        msgs = await self._sub.fetch(1, timeout=1)  # long poll: returns as soon as one message is there
        if self.c.batch <= 1 or time.monotonic() - started > BACKLOG_SECONDS:
            # The long poll waited for it: a lone event, applied at once (a read may be waiting for it).
            return msgs
        # It was there already: a backlog, which fills the batch now. Only when more than one message came,
        # and no read waits on this consumer (reads after writes), is the batch left to fill for max_wait.
        msgs += await self._probe(self.c.batch - 1)
        if self.c.max_wait and 1 < len(msgs) < self.c.batch and not self.waiters:
            await asyncio.sleep(self.c.max_wait)
            msgs += await self._probe(self.c.batch - len(msgs))
        return msgs

    async def _probe(self, n: int) -> list:
        """The messages pending now, up to `n`: nats-py asks with no_wait first, answered at once (with
        nothing there it would then linger for the whole timeout; a late answer waits in the
        subscription's queue for the next fetch)."""
        try:
            return await self._sub.fetch(n, timeout=PROBE_SECONDS)
        except asyncio.TimeoutError:
            return []
