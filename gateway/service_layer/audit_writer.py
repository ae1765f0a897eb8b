"""The audit rows of the gateway's writes, inserted in batches.

A write's row is queued once its answer is known, and a background task inserts what is queued
in one multi-row statement a few milliseconds later (one round trip for many writes under load,
instead of one each), unless the next write that stores positions or an Idempotency-Key answer
takes them into its own statement first (`closing.close`). Rows wait in memory only that long; a
failed insert (database down) keeps them and retries with backoff, and stopping the gateway writes
what is left. Readers of the log call `flush()` first, so a write is in the log as soon as its
answer is.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging

from gateway.service_layer.unit_of_work import unit_of_work
from shared.db import Database

log = logging.getLogger("rdv.gateway.audit")


class AuditWriter:
    def __init__(self, db: Database, *, linger: float = 0.005, max_queued: int = 100_000):
        self.db = db
        self.linger = linger
        self.max_queued = max_queued
        self._queue: list[dict] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None

    def add(self, entry: dict) -> None:
        if len(self._queue) >= self.max_queued:  # the database has been down for long: keep the newest
            dropped = self._queue.pop(0)
            log.error("audit queue full: entry dropped (%s %s at %s)", dropped["method"], dropped["path"],
                      dropped["at"])
        self._queue.append(entry)
        self._wake.set()

    def take(self) -> list[dict]:
        """The queued rows, for a statement that inserts them with others (`closing.close`)."""
        entries, self._queue = self._queue, []
        return entries

    def put_back(self, entries: list[dict]) -> None:
        """Rows that were not inserted after all: back at the head of the queue, in order."""
        self._queue[:0] = entries
        if self._queue:
            self._wake.set()

    async def flush(self) -> None:
        """Insert every queued row now (raises, keeping them queued, when the database refuses)."""
        entries = self.take()
        if not entries:
            return
        try:
            async with unit_of_work(self.db, autocommit=True) as uow:
                await uow.audit.add_entries(entries=entries)
        except BaseException:
            self.put_back(entries)
            raise

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="audit-writer")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        try:
            await self.flush()
        except Exception:
            log.exception("audit: %d entries not written at stop", len(self._queue))

    async def _run(self) -> None:
        backoff = 0.2
        while True:
            await self._wake.wait()
            await asyncio.sleep(self.linger)  # gather the writes of the next few ms
            self._wake.clear()
            try:
                await self.flush()
                backoff = 0.2
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("audit: %d entries not written yet (%r); retry in %.1fs", len(self._queue), exc,
                            backoff)
                self._wake.set()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
