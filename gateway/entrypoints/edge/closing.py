"""The edge of every write (POST/PUT/PATCH/DELETE): its answer is held until what it leaves behind is
stored (`gateway.service_layer.closing`): the read positions it was answered with, its Idempotency-Key
answer, and its audit row for the writes under /api/v1 (who, when, what, which resource, the result)."""
from __future__ import annotations

import logging
import uuid

from gateway.entrypoints.edge.asgi import UNSAFE, Recorder
from gateway.entrypoints.edge.audit import entry_of
from gateway.entrypoints.request_state import CLOSING_KEY, POSITIONS_KEY
from gateway.service_layer import read_positions
from gateway.service_layer.closing import Closing
from shared.consistency import Positions, merge

log = logging.getLogger("rdv.gateway.audit")


class CloseWrites:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] not in UNSAFE:
            return await self.app(scope, receive, send)
        closing = scope[CLOSING_KEY] = Closing()
        # Held, not sent: a client that has the answer may read (or repeat the key) at once.
        recorder = Recorder(send, limit=256_000, hold=True)
        runtime = scope["app"].state.runtime
        try:
            await self.app(scope, receive, recorder)
        finally:
            entry = None
            if scope["path"].startswith("/api/v1/"):
                try:
                    entry = entry_of(scope, recorder)
                except Exception:  # the audit never turns an answered request into an error
                    log.exception("audit entry not written")
            await runtime.closer.close(closing, entry)
        await recorder.flush()


async def keep_positions(scope, organisation_id: uuid.UUID, positions: Positions) -> None:
    """Keep the positions a write of the organisation was answered with, for every later read through any
    gateway replica (stored before the answer leaves), and for the reads this request still makes."""
    closing: Closing | None = scope.get(CLOSING_KEY)
    if closing is not None:
        closing.add_positions(organisation_id, positions)
    else:  # a write made while serving a read: no edge holds this answer, store them now
        await read_positions.record(db=scope["app"].state.runtime.db, organisation_id=organisation_id,
                                    positions=positions)
    scope[POSITIONS_KEY] = merge(dict(scope.get(POSITIONS_KEY) or {}), positions)
