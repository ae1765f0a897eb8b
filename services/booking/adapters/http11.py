"""A small keep-alive HTTP/1.1 JSON client for the one hot internal call (booking -> availability).

Why not httpx: on the booking path httpx costs about 1.5 ms of CPU per call (anyio streams,
pool bookkeeping), as much as the rest of a booking. This client keeps idle connections in
a list, writes one request, and parses the answer with httptools (uvicorn's own parser).
It is only used for idempotent internal calls, so a request that fails on a reused
connection (the server closed it while idle) is retried once on a fresh one.
"""
from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import httptools


class HttpError(Exception):
    """The server could not be reached or did not answer in time."""


class _Answer:
    __slots__ = ("body", "done", "keep_alive", "parser")

    def __init__(self):
        self.body = bytearray()
        self.done = False
        self.keep_alive = False
        self.parser: httptools.HttpResponseParser | None = None

    def on_body(self, body: bytes) -> None:
        self.body += body

    def on_message_complete(self) -> None:
        self.done = True
        # Only meaningful inside the callback: once the message is complete the parser resets its
        # flags and `should_keep_alive()` says False, so every connection would be closed.
        self.keep_alive = self.parser.should_keep_alive() if self.parser else False


class KeepAliveClient:
    def __init__(self, base_url: str, *, timeout: float = 5.0, max_idle: int = 64):
        parts = urlsplit(base_url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.timeout = timeout
        self.max_idle = max_idle
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for _, writer in idle:
            writer.close()

    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        """POST a JSON body; return (status, body). Raises HttpError when the server is unreachable."""
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        request = (f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                   f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n{head}\r\n").encode() + body
        try:
            async with asyncio.timeout(self.timeout):
                while self._idle:
                    try:
                        return await self._exchange(*self._idle.pop(), request)
                    except (OSError, HttpError, asyncio.IncompleteReadError):
                        pass  # stale keep-alive connection: try another, then a new one
                reader, writer = await asyncio.open_connection(self.host, self.port)
                return await self._exchange(reader, writer, request)
        except (OSError, TimeoutError, asyncio.IncompleteReadError, httptools.HttpParserError) as exc:
            raise HttpError(repr(exc)) from exc

    async def _exchange(self, reader, writer, request: bytes) -> tuple[int, bytes]:
        """One request and its answer; the connection is closed on any failure or cancellation."""
        answer = _Answer()
        parser = answer.parser = httptools.HttpResponseParser(answer)
        try:
            writer.write(request)
            while not answer.done:
                data = await reader.read(65536)
                if not data:
                    raise HttpError("connection closed by the server")
                parser.feed_data(data)
        except BaseException:
            writer.close()
            raise
        if answer.keep_alive and len(self._idle) < self.max_idle:
            self._idle.append((reader, writer))
        else:
            writer.close()
        return parser.get_status_code(), bytes(answer.body)
