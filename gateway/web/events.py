"""Server-sent events for the agenda: which RDVs of the caller's organisation just changed.

A core NATS subscription (not a durable consumer: a page only needs changes from now on) on
`booking.rdv.>`; each message's envelope is filtered on the session's organisation.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from gateway.entrypoints.auth.dependencies import authenticate_scope
from shared.errors import Unauthorized

log = logging.getLogger("rdv.web")
router = APIRouter()

HEARTBEAT_SECONDS = 15.0
# A stream ends after this long; the browser reconnects (EventSource) and the session is checked again,
# so a logged-out or expired session stops receiving.
STREAM_SECONDS = 600.0


@router.get("/web/events")
async def rdv_events(request: Request):
    """Stream `rdv` events (`{rdv_id, type}`) of the session's organisation as text/event-stream."""
    try:
        caller = await authenticate_scope(request.scope)
    except Unauthorized:
        raise Unauthorized("Veuillez vous connecter.") from None
    org_id = str(caller.principal.organisation.id)
    nc = getattr(request.app.state.runtime, "nc", None)
    queue: asyncio.Queue[dict] = asyncio.Queue(maxsize=1000)

    async def on_message(msg) -> None:
        try:
            envelope = json.loads(msg.data)
        except ValueError:
            return
        if envelope.get("organisation_id") != org_id:
            return
        rdv = (envelope.get("data") or {}).get("rdv") or {}
        with contextlib.suppress(asyncio.QueueFull):
            queue.put_nowait({"rdv_id": rdv.get("id"), "type": envelope.get("type")})

    sub = await nc.subscribe("booking.rdv.>", cb=on_message) if nc is not None else None

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
