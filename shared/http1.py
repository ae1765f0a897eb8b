"""A lean HTTP/1.1 client for calls between our own services: kept-alive connections, whole bodies.

Services answer small JSON bodies on a loopback or LAN connection, hundreds of times a second: a general
client (aiohttp) spends most of a call's CPU on what such calls never use (URL objects, cookies, tracing
hooks, redirects, decompression). This one writes the request bytes itself and parses the answer with
httptools (the parser uvicorn runs on the other side).

Errors say whether the request may have reached the service:
- `NotSent`: no connection could be made (another replica may take it);
- `Stale`: a kept-alive connection was closed before any byte of the answer came (the service restarted
  or dropped it while idle; the service may or may not have read the request);
- `Broken`: anything else (the answer stopped halfway, or did not come in time).
"""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

import httptools
from multidict import CIMultiDict, CIMultiDictProxy


_TARGET_SAFE = "/?=&%:@!$'()*+,;-._~"


class HttpError(Exception):
    """A call that got no whole answer."""


class NotSent(HttpError):
    pass


class Stale(HttpError):
    pass


class Broken(HttpError):
    pass


@dataclass(frozen=True)
class Answer:
    status: int
    headers: CIMultiDictProxy
    content: bytes


class _Connection(asyncio.Protocol):
    """One kept-alive connection: one request at a time, its answer parsed as it comes."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.reusable = True
        self.idle_since = time.monotonic()
        self._parser = httptools.HttpResponseParser(self)
        self._answer: asyncio.Future | None = None
        self._started = False
        self._head = False
        self._headers: list[tuple[str, str]] = []
        self._body: list[bytes] = []

    # asyncio.Protocol
    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self._started = True
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(Broken(f"réponse HTTP illisible: {exc}"))
            self.close()

    def connection_lost(self, exc) -> None:
        self.closed = True
        if self._answer is not None and not self._answer.done():
            self._fail(Broken("connexion coupée pendant la réponse") if self._started
                       else Stale("connexion fermée par le service"))

    # httptools callbacks
    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name.decode("latin-1"), value.decode("latin-1")))

    def on_headers_complete(self) -> None:
        if self._head:  # an answer to HEAD has no body, whatever its Content-Length says
            self.reusable = False  # the parser would take the next answer for this one's body
            self.on_message_complete()

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        if self._answer is None or self._answer.done():
            return
        self.reusable = self.reusable and self._parser.should_keep_alive()
        self._answer.set_result(Answer(self._parser.get_status_code(), CIMultiDictProxy(CIMultiDict(self._headers)),
                                       b"".join(self._body)))

    def _fail(self, exc: Exception) -> None:
        if self._answer is not None and not self._answer.done():
            self._answer.set_exception(exc)

    async def call(self, request: bytes, timeout: float, *, head: bool = False) -> Answer:
        self._answer = asyncio.get_running_loop().create_future()
        self._started, self._headers, self._body, self._head = False, [], [], head
        try:
            self.transport.write(request)
        except (RuntimeError, OSError) as exc:  # closed under us, before connection_lost was called
            self._answer = None
            self.close()
            raise Stale(f"connexion fermée: {exc}") from None
        try:
            async with asyncio.timeout(timeout):
                return await self._answer
        except TimeoutError:
            self.close()
            raise Broken(f"pas de réponse en {timeout:g} s") from None
        finally:
            self._answer = None
            self.idle_since = time.monotonic()

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


class Pool:
    """Kept-alive connections to one base URL (`http://host:port`), at most `limit` open at once.
    A connection idle for `keepalive` seconds is closed rather than reused (the service may be closing it)."""

    def __init__(self, base_url: str, *, limit: int = 100, keepalive: float = 15.0, connect_timeout: float = 2.0,
                 read_timeout: float = 15.0):
        parts = urlsplit(base_url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"URL de service non prise en charge: {base_url}")
        self.host, self.port = parts.hostname, parts.port or 80
        self._host_header = parts.netloc.encode("latin-1")
        self._prefix = parts.path.rstrip("/")
        self._idle: list[_Connection] = []
        self._slots = asyncio.Semaphore(limit)
        self.keepalive, self.connect_timeout, self.read_timeout = keepalive, connect_timeout, read_timeout

    def _request(self, method: str, target: str, headers: dict[str, str], body: bytes | None) -> bytes:
        # The target is percent-encoded as a URL library would (a path parameter may hold any character,
        # a line break among them); a header value with a line break is refused, never sent.
        target = quote(self._prefix + target, safe=_TARGET_SAFE)
        head = [f"{method} {target} HTTP/1.1\r\nHost: ".encode("latin-1"), self._host_header]
        for name, value in headers.items():
            if "\r" in value or "\n" in value:
                raise ValueError(f"en-tête {name} invalide")
            head.append(f"\r\n{name}: {value}".encode("latin-1"))  # as ASGI servers decode them
        if body is not None or method in ("POST", "PUT", "PATCH"):
            head.append(b"\r\nContent-Length: %d" % len(body or b""))
        head.append(b"\r\n\r\n")
        if body:
            head.append(body)
        return b"".join(head)

    def _reused(self) -> _Connection | None:
        now = time.monotonic()
        while self._idle:
            conn = self._idle.pop()
            if not conn.closed and not conn.transport.is_closing() and now - conn.idle_since < self.keepalive:
                return conn
            conn.close()
        return None

    async def _connect(self) -> _Connection:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self.connect_timeout):
                _, conn = await loop.create_connection(_Connection, self.host, self.port)
        except (OSError, TimeoutError) as exc:
            raise NotSent(f"connexion impossible à {self.host}:{self.port}: {exc!r}") from exc
        return conn

    async def call(self, method: str, target: str, *, headers: dict[str, str], body: bytes | None = None,
                   timeout: float | None = None) -> Answer:
        request = self._request(method, target, headers, body)
        async with self._slots:
            conn = self._reused() or await self._connect()
            try:
                answer = await conn.call(request, self.read_timeout if timeout is None else timeout,
                                         head=method == "HEAD")
            except BaseException:
                conn.close()
                raise
            if conn.reusable and not conn.closed:
                self._idle.append(conn)
            else:
                conn.close()
            return answer

    def close(self) -> None:
        for conn in self._idle:
            conn.close()
        self._idle.clear()
