"""Server-sent events for the agenda: which RDVs of the caller's organisation just changed.

A core NATS subscription (not a durable consumer: a page only needs changes from now on) on
`booking.rdv.>`; each message's envelope is filtered on the session's organisation.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from gateway.entrypoints.auth.dependencies import authenticate_scope
from shared.errors import Unauthorized
from shared.events import CATALOGUE, Envelope

log = logging.getLogger("rdv.web")
router = APIRouter()

HEARTBEAT_SECONDS = 15.0
# A stream ends after this long; the browser reconnects (EventSource) and the session is checked again,
# so a logged-out or expired session stops receiving.
STREAM_SECONDS = 600.0


def rdv_change(raw: bytes, organisation_id: uuid.UUID) -> dict | None:
    """What a page is told of an RDV event, `{rdv_id, type}` (no RDV id for a purge), for its organisation's
    events only; None otherwise, or for a message that is not a catalogue event."""
    try:
        envelope = Envelope.model_validate_json(raw)
        if envelope.organisation_id != organisation_id:
            return None
        model = CATALOGUE.get(envelope.type)
        rdv = getattr(envelope.data_as(model), "rdv", None) if model else None
    except ValueError:  # pydantic's ValidationError among them
        return None
    return {"rdv_id": str(rdv.id) if rdv is not None else None, "type": envelope.type}


@router.get("/web/events")
async def rdv_events(request: Request):
    """Stream `rdv` events (`{rdv_id, type}`) of the session's organisation as text/event-stream."""
    try:
        caller = await authenticate_scope(request.scope)
    except Unauthorized:
        raise Unauthorized("Veuillez vous connecter.") from None
    org_id = caller.principal.organisation.id
    nc = getattr(request.app.state.runtime, "nc", None)
    queue: asyncio.Queue[dict] = asyncio.Queue(maxsize=1000)

    async def on_message(msg) -> None:
        change = rdv_change(msg.data, org_id)
        if change is not None:
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(change)

    sub = None
    if nc is not None:
        sub = await nc.subscribe("booking.rdv.>", cb=on_message)
        # The subscription is only buffered until the client's next write: a round trip puts it on the
        # server before the stream begins, so that no event after the page's first line is missed.
        await nc.flush()

    async def stream():
        try:
            yield "retry: 3000\n\n"
            deadline = asyncio.get_running_loop().time() + STREAM_SECONDS
            while asyncio.get_running_loop().time() < deadline and not await request.is_disconnected():
                try:
                    item = await asyncio.wait_for(queue.get(), timeout=HEARTBEAT_SECONDS)
                except asyncio.TimeoutError:
                    yield ": ping\n\n"
                    continue
                yield f"event: rdv\ndata: {json.dumps(item)}\n\n"
        finally:
            if sub is not None:
                with contextlib.suppress(Exception):
                    await sub.unsubscribe()

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
