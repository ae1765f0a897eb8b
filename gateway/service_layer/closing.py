"""Use case of what a write leaves behind at the gateway before its answer leaves: the read positions it was
answered with (reads after writes, shared.consistency), the answer of its Idempotency-Key, its audit row.

They used to be three round trips, and the audit a fourth transaction of its own a few ms later; now one
statement when the write has positions or a key to keep (the audit rows queued meanwhile ride along), and
none on the request's path when it has neither (its audit row joins the batched writer's queue). Under load,
the writes that end while a statement runs share the next one (`Closer`).
"""
from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field

from gateway.service_layer.audit_writer import AuditWriter
from gateway.service_layer.idempotency import Write
from gateway.service_layer.unit_of_work import unit_of_work
from shared.consistency import Positions, merge
from shared.db import Database


@dataclass
class Closing:
    """What one write request leaves to write, gathered while it runs (its route, the edge middlewares)."""
    positions: dict[uuid.UUID, Positions] = field(default_factory=dict)  # per organisation
    key: Write | None = None  # an Idempotency-Key claimed for this request
    answer: tuple[int, dict, bytes] | None = None  # what its repeats get; None: the key is forgotten

    def add_positions(self, organisation_id: uuid.UUID, positions: Positions) -> None:
        merge(self.positions.setdefault(organisation_id, {}), positions)

    def settle(self, key: Write, answer: tuple[int, dict, bytes] | None) -> None:
        self.key, self.answer = key, answer

    @property
    def binding(self) -> bool:
        """Something must be stored before the answer leaves (a later read, a repeat, relies on it)."""
        return bool(self.positions) or self.key is not None


async def close(*, db: Database, closing: Closing, audit: AuditWriter, entry: dict | None) -> None:
    """Write what the request leaves behind, before its answer leaves; `entry` is its audit row (None: not
    audited). Raises when the database refuses what is binding: the answer must not leave then (a 500); the
    audit rows are kept for the writer's next round either way."""
    if not closing.binding:
        if entry is not None:
            audit.add(entry)  # inserted with the next write's, or by the writer a few ms later
        return
    await _write(db=db, audit=audit, ended=[(closing, entry)])


async def _write(*, db: Database, audit: AuditWriter, ended: list[tuple[Closing, dict | None]]) -> None:
    """One statement for what these writes (all binding) leave behind, with the audit rows queued meanwhile."""
    entries = audit.take()
    positions: dict[uuid.UUID, Positions] = {}
    keys = []
    for closing, entry in ended:
        if entry is not None:
            entries.append(entry)
        for organisation_id, by_stream in closing.positions.items():
            merge(positions.setdefault(organisation_id, {}), by_stream)
        if closing.key is not None:
            keys.append((closing.key.caller, closing.key.key, closing.answer))
    try:
        async with unit_of_work(db, autocommit=True) as uow:
            await uow.closing.write(audit=entries, positions=positions, keys=keys)
    except BaseException:
        # What the clients get now; their rows go back to the writer's queue.
        refused = {id(entry) for _, entry in ended if entry is not None}
        audit.put_back([{**e, "status": 500} if id(e) in refused else e for e in entries])
        raise


class Closer:
    """`close` for every write of the gateway: a write that ends while a statement runs waits for it and
    shares the next one with the others that ended meanwhile (one round trip for many under load; alone, a
    write's statement starts at once)."""

    def __init__(self, db: Database, audit: AuditWriter):
        self.db = db
        self.audit = audit
        self._waiting: list[tuple[Closing, dict | None, asyncio.Future]] = []
        self._task: asyncio.Task | None = None

    async def close(self, closing: Closing, entry: dict | None) -> None:
        """As `close`: returns once what the write leaves behind is stored (raises when it was refused)."""
        if not closing.binding:
            await close(db=self.db, closing=closing, audit=self.audit, entry=entry)
            return
        done = asyncio.get_running_loop().create_future()
        self._waiting.append((closing, entry, done))
        if self._task is None:
            self._task = asyncio.create_task(self._drain(), name="closing")
        await done

    async def _drain(self) -> None:
        batch: list = []
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                try:
                    await _write(db=self.db, audit=self.audit, ended=[(c, e) for c, e, _ in batch])
                except Exception as exc:
                    _settle(batch, exc)
                else:
                    _settle(batch, None)
                batch = []
        except BaseException:  # cancelled (the gateway stops): no write waits for ever
            _settle(batch + self._waiting, RuntimeError("gateway stopping"))
            self._waiting = []
            raise
        finally:
            self._task = None


def _settle(batch: list, exc: Exception | None) -> None:
    for _, _, done in batch:
        if not done.done():
            if exc is None:
                done.set_result(None)
            else:
                done.set_exception(exc)
