"""The one HTTP client of service calls: kept-alive connections per service, round-robin over its
replicas (`<NAME>_URL=http://a,http://b`), failover to the next replica on connection errors.

Every call between processes goes this way: the gateway's forwarded requests, its streamed export
download and readiness probes, and booking's check with availability. Calls answered whole (all but
files) go through `shared.http1`, written for these small JSON calls: it costs less CPU a call than
aiohttp, which costs less than httpx (figures in the commits that chose them). A file is read as it
comes through aiohttp (`ServiceStream`).
"""
from __future__ import annotations

import asyncio
import itertools
import json as jsonlib
import logging
from dataclasses import dataclass
from typing import Any, AsyncIterator, Mapping
from urllib.parse import urlencode

import aiohttp

from shared import http1, tracing
from shared.errors import ServiceUnavailable
from shared.identity import Identity, headers_for

log = logging.getLogger("rdv.services")

MAX_CONNECTIONS = 100  # per service: kept alive, so that no call opens a connection under load
READY_TIMEOUT = 2.0  # seconds a replica has to answer /readyz
# Errors of aiohttp where the request was never sent (no connection could be made): safe to try the next
# replica. Any other error may come after the service received the request: a write is never replayed.
_NOT_SENT = (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError)
# A kept-alive connection the server closed while idle (it restarted, or dropped it): for a call that is
# safe to replay (`replay=True`: reads, and availability's check), the call goes again on another one.
STALE_RETRIES = 2


@dataclass(frozen=True)
class Timeouts:
    read: float = 15.0  # seconds without a byte from the service
    connect: float = 2.0


@dataclass(frozen=True)
class ServiceResponse:
    """A service's answer, read whole."""
    status_code: int
    headers: Mapping[str, str]  # case-insensitive
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        return jsonlib.loads(self.content)


class ServiceStream:
    """A service's answer whose body is read as it comes (a file); `close()` it when done."""

    def __init__(self, response: aiohttp.ClientResponse):
        self._response = response
        self.status_code = response.status
        self.headers: Mapping[str, str] = response.headers

    async def chunks(self) -> AsyncIterator[bytes]:
        async for chunk in self._response.content.iter_any():
            yield chunk

    async def read(self) -> ServiceResponse:
        content = await self._response.read()
        return ServiceResponse(self.status_code, self.headers, content)

    async def close(self) -> None:
        self._response.release()


def _target(path: str, params: Any) -> str:
    pairs = params.items() if isinstance(params, dict) else (params or ())
    query = urlencode([(k, "" if v is None else v) for k, v in pairs], doseq=True)
    return path + ("?" + query if query else "")


class ServiceClient:
    def __init__(self, name: str, urls: list[str], *, timeout: Timeouts = Timeouts()):
        self.name = name
        self.urls = urls
        self._next = itertools.cycle(range(len(urls)))
        self._timeouts = timeout
        self._timeout = aiohttp.ClientTimeout(total=None, sock_connect=timeout.connect, sock_read=timeout.read)
        self._session: aiohttp.ClientSession | None = None
        self._pools: dict[str, http1.Pool] = {}

    def _pool(self, base: str) -> http1.Pool:
        pool = self._pools.get(base)
        if pool is None:
            # Idle connections are dropped after 15 s, well before the services' keep-alive (65 s) ends.
            pool = self._pools[base] = http1.Pool(base, limit=MAX_CONNECTIONS, keepalive=15,
                                                  connect_timeout=self._timeouts.connect,
                                                  read_timeout=self._timeouts.read)
        return pool

    def _aio(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:  # made in the running loop, at first use
            # Idle connections are dropped after 15 s, well before the services' keep-alive (65 s) ends.
            connector = aiohttp.TCPConnector(limit=MAX_CONNECTIONS, keepalive_timeout=15)
            self._session = aiohttp.ClientSession(connector=connector, timeout=self._timeout,
                                                  auto_decompress=False, skip_auto_headers=("User-Agent",))
        return self._session

    def _order(self) -> list[str]:
        start = next(self._next)
        return self.urls[start:] + self.urls[:start]

    def _unavailable(self, exc: Exception | None) -> ServiceUnavailable:
        log.warning("service %s unreachable: %r", self.name, exc)
        return ServiceUnavailable(details={"service": self.name})

    async def _send(self, method: str, target: str, **kw) -> aiohttp.ClientResponse:
        """The response of the first replica that takes the request (its body not read yet); 503 when none.
        Only for files, never replayed."""
        session = self._aio()
        last: Exception | None = None
        for base in self._order():
            try:
                return await session.request(method, base + target, **kw)
            except _NOT_SENT as exc:
                last = exc
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                raise self._unavailable(exc) from exc
        raise self._unavailable(last)

    async def request(self, method: str, path: str, *, identity: Identity | None, params: Any = None,
                      json: Any = None, body: bytes | None = None, headers: dict[str, str] | None = None,
                      replay: bool = False) -> ServiceResponse:
        """Send one call to a replica and read its answer; 503 `service_unavailable` when none answers.
        `json`: a body to encode; `body`: JSON already encoded (a client's body passed on as it came).
        `replay=True` only for calls that change nothing: after a stale kept-alive connection, the call
        goes again (a few times, whichever replica); a write is never sent twice."""
        all_headers = {**tracing.outgoing_headers(), **(headers or {}), **(headers_for(identity) if identity else {})}
        if json is not None:
            body = jsonlib.dumps(json, separators=(",", ":")).encode()
        if body is not None:
            all_headers["Content-Type"] = "application/json"
        target = _target(path, params)
        last: Exception | None = None
        order = self._order()
        for base in order + (order * STALE_RETRIES)[:STALE_RETRIES] if replay else order:
            try:
                answer = await self._pool(base).call(method, target, headers=all_headers, body=body)
            except http1.NotSent as exc:
                last = exc
            except http1.Stale as exc:
                if not replay:
                    raise self._unavailable(exc) from exc
                last = exc
            except http1.HttpError as exc:
                raise self._unavailable(exc) from exc
            else:
                return ServiceResponse(answer.status, answer.headers, answer.content)
        raise self._unavailable(last)

    async def open_stream(self, method: str, path: str, *, identity: Identity, params: Any = None) -> ServiceStream:
        """Send a call whose body is read later (exports' files); the caller closes it."""
        headers = {**tracing.outgoing_headers(), **headers_for(identity)}
        return ServiceStream(await self._send(method, _target(path, params), headers=headers))

    async def ready(self) -> bool:
        """One of the service's replicas answers /readyz with 200."""
        for base in self.urls:
            try:
                async with self._aio().get(base + "/readyz", timeout=aiohttp.ClientTimeout(total=READY_TIMEOUT)) \
                        as resp:
                    if resp.status == 200:
                        return True
            except (aiohttp.ClientError, asyncio.TimeoutError):
                continue
        return False

    async def aclose(self) -> None:
        for pool in self._pools.values():
            pool.close()
        self._pools.clear()
        if self._session is not None:
            await self._session.close()
