"""Edge middlewares (pure ASGI): security headers on every response; a NUL character refused before any route."""
from __future__ import annotations

import json

from gateway.entrypoints.edge.asgi import UNSAFE, read_body, replay_receive
from shared.errors import ValidationFailed

CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
       "connect-src 'self'; font-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; "
       "frame-ancestors 'none'")
# Swagger UI (/docs) loads its script and style from a CDN and starts with an inline script.
DOCS_CSP = ("default-src 'self'; img-src 'self' data: https://fastapi.tiangolo.com; "
            "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
            "script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; connect-src 'self'; "
            "object-src 'none'; base-uri 'self'; frame-ancestors 'none'")
DOCS_PATHS = ("/docs", "/redoc")


class SecurityHeaders:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        csp = DOCS_CSP if scope["path"].startswith(DOCS_PATHS) else CSP

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                for name, value in ((b"content-security-policy", csp.encode()),
                                    (b"x-content-type-options", b"nosniff"),
                                    (b"x-frame-options", b"DENY"),
                                    (b"referrer-policy", b"strict-origin-when-cross-origin"),
                                    (b"cross-origin-opener-policy", b"same-origin")):
                    if name not in present:
                        headers.append((name, value))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class RefuseNul:
    """Refuse a NUL character in a query or JSON body (PostgreSQL text cannot hold one: it would be a 500)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not scope["path"].startswith("/api/v1/"):
            return await self.app(scope, receive, send)
        body = b""
        if scope["method"] in UNSAFE:
            body = await read_body(receive)
            receive = replay_receive(body, receive)
        query = scope.get("query_string", b"").lower()
        if b"%00" in query or b"\\u0000" in body or b"\x00" in body or "\x00" in scope["path"]:
            err = ValidationFailed("Les données contiennent un caractère nul, refusé.", code="validation_error",
                                   details={"fields": {"body": "Caractère nul interdit."}})
            await send({"type": "http.response.start", "status": 422,
                        "headers": [(b"content-type", b"application/json")]})
            await send({"type": "http.response.body", "body": json.dumps(err.body()).encode()})
            return
        await self.app(scope, receive, send)

