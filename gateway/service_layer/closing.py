"""Use case of what a write leaves behind at the gateway before its answer leaves: the read positions it was
answered with (reads after writes, shared.consistency), the answer of its Idempotency-Key, its audit row.

They used to be three round trips, and the audit a fourth transaction of its own a few ms later; now one
statement when the write has positions or a key to keep (the audit rows queued meanwhile ride along), and
none on the request's path when it has neither (its audit row joins the batched writer's queue).
"""
from __future__ import annotations

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
    entries = audit.take()
    if entry is not None:
        entries.append(entry)
    key = (closing.key.caller, closing.key.key) if closing.key is not None else None
    try:
        async with unit_of_work(db, autocommit=True) as uow:
            await uow.closing.write(audit=entries, positions=closing.positions, key=key, answer=closing.answer)
    except BaseException:
        if entry is not None:
            entries[-1] = {**entry, "status": 500}  # what the client gets now
        audit.put_back(entries)
        raise
