"""Server-sent events for the agenda: which RDVs of the caller's organisation just changed.

A core NATS subscription (not a durable consumer: a page only needs changes from now on) on
`booking.rdv.>`; each message's envelope is filtered on the session's organisation.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse

log = logging.getLogger("rdv.web")
router = APIRouter()

HEARTBEAT_SECONDS = 15.0
# A stream ends after this long; the browser reconnects (EventSource) and the session is checked again,
# so a logged-out or expired session stops receiving.
STREAM_SECONDS = 600.0


async def _current_agent(request: Request) -> dict | None:
    """Ask the gateway itself (in process) who the request's session is."""
    headers = {k: v for k, v in request.headers.items() if k.lower() in ("cookie", "authorization")}
    transport = httpx.ASGITransport(app=request.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway.internal", timeout=5) as client:
        resp = await client.get("/api/v1/me", headers=headers)
    return resp.json() if resp.status_code == 200 else None


def _organisation_id(agent: dict) -> str | None:
    org = agent.get("organisation")
    return (org.get("id") if isinstance(org, dict) else None) or agent.get("organisation_id")


@router.get("/web/events")
async def rdv_events(request: Request):
    """Stream `rdv` events (`{rdv_id, type}`) of the session's organisation as text/event-stream."""
    agent = await _current_agent(request)
    if agent is None:
        return JSONResponse({"error": {"code": "unauthorized", "message": "Veuillez vous connecter.",
                                       "details": {}}}, status_code=401)
    organisation_id = _organisation_id(agent)
    nc = getattr(request.app.state.runtime, "nc", None)
    queue: asyncio.Queue[dict] = asyncio.Queue(maxsize=1000)

    async def on_message(msg) -> None:
        try:
            envelope = json.loads(msg.data)
        except ValueError:
            return
        if envelope.get("organisation_id") != organisation_id:
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
