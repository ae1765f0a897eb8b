"""Reads after writes: positions of events, and projections that wait for them.

A write answered 2xx must be visible to every later read through the gateway, while the
projections that serve reads (availability's busy intervals, usagers' RDV history...) are fed
by events. The mechanism, end to end:

1. A service's write commits its change and its outbox rows together. Before the answer leaves,
   `ConsistencyMiddleware` has the outbox relay publish what is committed (`OutboxRelay.flush`)
   and answers the JetStream position of those events: `Rdv-Position: BOOKING:1234` (the stream
   sequence of the last one, or any later one).
2. The gateway keeps, per organisation, the highest position of each stream that a write of
   that organisation was answered with (a row per stream, shared by every gateway replica), and
   sends them with every read it forwards: `Rdv-Read-After: BOOKING:1234,AVAILABILITY:56`.
3. A service asked to read after a position of a stream it consumes waits until each of its
   durable consumers of that stream has acknowledged every message up to it (`ReadBarrier`).
   A consumer acknowledges after its transaction commits, so what the read sees then holds the
   write. The wait is bounded (`READ_WAIT_SECONDS`): past it, 503 `service_unavailable`, never a
   stale answer.

Each consumer keeps the highest position known to be applied (`floor`): a read whose positions
are all below it, the common case, costs a comparison. Above it, the consumer's state is asked
from JetStream (a request to NATS), again on each local acknowledgement and every few
milliseconds (another replica may be the one applying), until it has caught up or time is out.
No service reads another's database and no read calls the writer: with the writer down, reads
still answer from what was published.
"""
from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import math
import time
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Iterable

from nats.js.errors import NotFoundError

from shared.errors import ServiceUnavailable

if TYPE_CHECKING:
    from shared.inbox import ConsumerRunner

log = logging.getLogger("rdv.consistency")

POSITION_HEADER = "rdv-position"
READ_AFTER_HEADER = "rdv-read-after"
READ_WAIT_SECONDS = 2.0
RECHECK_SECONDS = 0.004  # between two readings of a consumer's state while a read waits

Positions = dict[str, int]


def format_positions(positions: Positions) -> str:
    return ",".join(f"{stream}:{seq}" for stream, seq in sorted(positions.items()))


def parse_positions(raw: str | None) -> Positions:
    """`BOOKING:12,AVAILABILITY:3` -> {"BOOKING": 12, "AVAILABILITY": 3}; malformed parts are ignored."""
    positions: Positions = {}
    for part in (raw or "").split(","):
        stream, _, seq = part.strip().partition(":")
        if stream.isalnum() and stream.isupper() and seq.isdigit():
            positions[stream] = max(positions.get(stream, 0), int(seq))
    return positions


def merge(into: Positions, other: Positions) -> Positions:
    for stream, seq in other.items():
        into[stream] = max(into.get(stream, 0), seq)
    return into


# ---------- the writer's side: did this request commit events? ----------

class _Written:
    __slots__ = ("events",)

    def __init__(self) -> None:
        self.events = False


_written: contextvars.ContextVar[_Written | None] = contextvars.ContextVar("rdv_written", default=None)


def note_events_committed() -> None:
    """Called after a commit that wrote outbox rows: the current request (if any) must publish them
    before it answers."""
    holder = _written.get()
    if holder is not None:
        holder.events = True


# ---------- the reader's side: wait until the consumers have applied a position ----------

class ReadBarrier:
    """Waits until the durable consumers of a service have applied given stream positions."""

    def __init__(self, js, runners: Iterable["ConsumerRunner"], *, timeout: float = READ_WAIT_SECONDS):
        self.js = js
        self.runners = list(runners)
        self.timeout = timeout
        self._readings: dict[str, asyncio.Future] = {}

    def consumers_of(self, positions: Positions) -> list[tuple["ConsumerRunner", int]]:
        return [(r, positions[r.c.stream]) for r in self.runners if r.c.stream in positions]

    async def wait(self, positions: Positions) -> float:
        """Return once every consumer of these streams has applied them (the seconds waited); 503 past
        the bound."""
        pending = [(r, p) for r, p in self.consumers_of(positions) if r.floor < p]
        if not pending:
            return 0.0
        started = time.monotonic()
        deadline = started + self.timeout
        for runner, position in pending:
            runner.waiters += 1
            try:
                while not await self._caught_up(runner, position):
                    left = deadline - time.monotonic()
                    if left <= 0:
                        log.warning("read after %s:%d: consumer %s still behind after %.1fs",
                                    runner.c.stream, position, runner.c.name, self.timeout)
                        raise ServiceUnavailable(
                            "Les données ne sont pas encore à jour. Réessayez dans un instant.",
                            details={"consumer": runner.c.name, "stream": runner.c.stream, "position": position})
                    await runner.applied_signal(min(RECHECK_SECONDS, left))
            finally:
                runner.waiters -= 1
        return time.monotonic() - started

    async def _caught_up(self, runner: "ConsumerRunner", position: int) -> bool:
        """Whether the consumer has applied `position`, reading its state again if need be. Concurrent reads
        waiting on one consumer share a reading, when it was asked for a position at least as high."""
        while runner.floor < position:
            reading = self._readings.get(runner.c.name)
            if reading is None or reading[0].done():
                reading = (asyncio.ensure_future(self._read_state(runner, position)), position)
                self._readings[runner.c.name] = reading
            await asyncio.shield(reading[0])
            if reading[1] >= position:  # a reading made for this position: its answer stands
                break
        return runner.floor >= position

    async def _read_state(self, runner: "ConsumerRunner", upto: int) -> None:
        """Read the consumer's state from JetStream and raise its floor as far as it proves applied.

        Every message up to the ack floor is acknowledged. With nothing acknowledgement-pending, every
        message delivered is acknowledged; then the first message of the stream the consumer takes after
        those is the first not applied (`next_unapplied`): none up to `upto`, and `upto` is applied."""
        try:
            info = await self.js.consumer_info(runner.c.stream, runner.c.name)
            floor = _acknowledged(info)
            if floor < upto and not info.num_ack_pending and not info.num_pending:
                following = await next_unapplied(self.js, runner, floor)
                floor = upto if following is None else min(upto, following.seq - 1)
        except Exception as exc:  # NATS down or consumer not created yet: nothing is proven
            log.debug("consumer %s info: %r", runner.c.name, exc)
            return
        runner.floor = max(runner.floor, floor)


def _acknowledged(info) -> int:
    """The stream position up to which a consumer's state shows every message acknowledged: its ack floor, or
    all it delivered when none awaits an acknowledgement."""
    floor = (info.ack_floor.stream_seq or 0) if info.ack_floor else 0
    if info.num_ack_pending or not info.delivered:
        return floor
    return max(floor, info.delivered.stream_seq or 0)


async def next_unapplied(js, runner: "ConsumerRunner", delivered: int):
    """The first message of the consumer's stream after `delivered` that its filters take (None: none yet).

    Asked of the stream itself: a consumer's count of pending messages follows the stream's store a moment
    later, so right after a publish is acknowledged it may still say 0."""
    found = await asyncio.gather(*(_next_by_subject(js, runner.c.stream, subject, delivered + 1)
                                   for subject in runner.c.subjects))
    return min((msg for msg in found if msg is not None), key=lambda msg: msg.seq, default=None)


async def _next_by_subject(js, stream: str, subject: str, seq: int):
    try:
        return await js.get_msg(stream, seq=seq, subject=subject, next=True)
    except NotFoundError:
        return None


# ---------- the HTTP side of a service ----------

class ConsistencyMiddleware:
    """ASGI middleware of every service: a GET with `Rdv-Read-After` waits on the service's
    `ReadBarrier`; a write that committed events has them published before its 2xx answer leaves,
    which then carries their position (`runtime.position_headers`)."""

    def __init__(self, app, runtime):
        self.app = app
        self.runtime = runtime

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] in ("GET", "HEAD"):
            await self._read(scope, receive, send)
        else:
            await self._write(scope, receive, send)

    async def _read(self, scope, receive, send):
        barrier = self.runtime.barrier
        raw = _header(scope, READ_AFTER_HEADER.encode()) if barrier else None
        if raw:
            try:
                await barrier.wait(parse_positions(raw.decode("latin-1")))
            except ServiceUnavailable as exc:
                await _send_error(send, exc)
                return
        await self.app(scope, receive, send)

    async def _write(self, scope, receive, send):
        holder = _Written()
        token = _written.set(holder)

        async def send_with_position(message):
            if message["type"] == "http.response.start" and holder.events and 200 <= message["status"] < 300:
                extra = await self._published(scope)
                if extra:
                    message["headers"] = list(message.get("headers", ())) + extra
            await send(message)

        try:
            await self.app(scope, receive, send_with_position)
        finally:
            _written.reset(token)

    async def _published(self, scope) -> list[tuple[bytes, bytes]]:
        relay = self.runtime.relay
        try:
            position = await relay.flush()
        except Exception as exc:  # NATS down: the relay publishes later; the write stands
            log.warning("write committed, events not yet published (%r): answered without a position", exc)
            return []
        return await self.runtime.position_headers(scope, relay.stream, position)


def _header(scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value
    return None


async def _send_error(send, exc: ServiceUnavailable) -> None:
    body = json.dumps(exc.body(), ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": exc.status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


async def applied_as_of(js, runners: Iterable["ConsumerRunner"], now: datetime) -> datetime:
    """The instant (on the service's clock `now`) up to which the consumers have applied every write: a
    write is answered only once its events are published, so every write answered before the first
    message a consumer has not acknowledged was published is applied. `now` when none is behind; read
    before the query it dates."""
    oldest = min(await asyncio.gather(*(_applied_until(js, r) for r in runners)), default=math.inf)
    if oldest == math.inf:
        return now
    return now - timedelta(seconds=max(0.0, time.time() - oldest))


async def _applied_until(js, runner: "ConsumerRunner") -> float:
    """Epoch seconds up to which every message of the consumer's stream is applied (inf: all of it)."""
    try:
        info = await js.consumer_info(runner.c.stream, runner.c.name)
        floor = _acknowledged(info)
        if info.num_ack_pending:
            msg = await js.get_msg(runner.c.stream, floor + 1)
        else:  # every message delivered is applied: the first not applied is the next it takes, if any
            msg = await next_unapplied(js, runner, floor)
            if msg is None:
                runner.proven_until = time.time()
                return math.inf
        runner.proven_until = msg.time.timestamp()
    except Exception as exc:  # NATS down: what was proven last still holds
        log.debug("as_of of %s: %r", runner.c.name, exc)
        if runner.proven_until is None:
            raise ServiceUnavailable(details={"consumer": runner.c.name}) from exc
    return runner.proven_until
