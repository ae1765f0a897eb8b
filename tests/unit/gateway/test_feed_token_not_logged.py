"""A calendar feed's token is its only credential: the access log and the server span never show it."""
from __future__ import annotations

import asyncio
import logging

from shared.web import tracing


def test_feed_paths_are_masked_in_the_access_log(caplog, monkeypatch):
    monkeypatch.setitem(tracing._state, "access_log", True)
    token = "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcde"

    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": 304, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def call(path: str) -> None:
        async def receive():
            return {"type": "http.request"}

        async def send(message):
            pass
        await tracing.TracingMiddleware(app, "gateway")({"type": "http", "method": "GET", "path": path,
                                                         "headers": []}, receive, send)

    with caplog.at_level(logging.INFO, logger="rdv.access"):
        asyncio.run(call(f"/ics/{token}.ics"))
        asyncio.run(call("/api/v1/me/calendar-feed"))
    lines = [r.getMessage() for r in caplog.records if r.name == "rdv.access"]
    assert lines[0].startswith("GET /ics/<token>.ics 304") and token not in "".join(lines)
    assert lines[1].startswith("GET /api/v1/me/calendar-feed 304")
    assert tracing.loggable_path("/ics/x/y.ics") == "/ics/x/y.ics"
