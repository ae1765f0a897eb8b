"""ASGI helpers of the edge middlewares: read a request body, watch a response go by."""
from __future__ import annotations

import json
import re
from typing import Any

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


async def read_body(receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    return b"".join(chunks)


def replay_receive(body: bytes, receive):
    sent = False

    async def _receive():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()
    return _receive


def header(scope, name: bytes) -> str | None:
    for k, v in scope.get("headers", []):
        if k.lower() == name:
            return v.decode("latin-1")
    return None


class Recorder:
    """Wraps `send`: passes everything through (or holds it) and keeps the status, headers and (small) body."""

    def __init__(self, send, *, limit: int = 1_000_000, hold: bool = False):
        self._send = send
        self.limit = limit
        self.hold = hold  # keep the messages until flush() (the response is stored before it is sent)
        self.held: list[dict] = []
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.chunks: list[bytes] = []
        self.size = 0

    async def __call__(self, message):
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.headers = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            body = message.get("body", b"")
            self.size += len(body)
            if self.size <= self.limit:
                self.chunks.append(body)
        if self.hold:
            self.held.append(message)
        else:
            await self._send(message)

    async def flush(self) -> None:
        for message in self.held:
            await self._send(message)
        self.held = []

    @property
    def complete(self) -> bool:
        return self.size <= self.limit

    @property
    def body(self) -> bytes:
        return b"".join(self.chunks)

    def header(self, name: bytes) -> str | None:
        for k, v in self.headers:
            if k.lower() == name:
                return v.decode("latin-1")
        return None

    def json(self) -> Any:
        if not self.complete or "json" not in (self.header(b"content-type") or ""):
            return None
        try:
            return json.loads(self.body)
        except ValueError:
            return None


def path_resource_id(path: str) -> str | None:
    match = _UUID.search(path)
    return match.group(0).lower() if match else None
