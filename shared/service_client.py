"""The one HTTP client of service calls (aiohttp): a pooled session per service, round-robin over its
replicas (`<NAME>_URL=http://a,http://b`), failover to the next replica on connection errors.

Every call between processes goes this way: the gateway's forwarded requests, its streamed export
download and readiness probes, and booking's check with availability. aiohttp costs less CPU a call
than httpx on this path (figures in the commits that chose it); its answer is read whole into a
`ServiceResponse`, or kept open as a `ServiceStream` for a file.
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

from shared import tracing
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
_STALE = (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError)
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
        self._timeout = aiohttp.ClientTimeout(total=None, sock_connect=timeout.connect, sock_read=timeout.read)
        self._session: aiohttp.ClientSession | None = None

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

    async def _send(self, method: str, target: str, *, replay: bool = False, **kw) -> aiohttp.ClientResponse:
        """The response of the first replica that takes the request (its body not read yet); 503 when none.
        `replay`: the call may be sent again after a stale connection (a few times, whichever replica)."""
        session = self._aio()
        last: Exception | None = None
        order = self._order()
        attempts = order + (order * STALE_RETRIES)[:STALE_RETRIES] if replay else order
        for base in attempts:
            try:
                return await session.request(method, base + target, **kw)
            except _NOT_SENT as exc:
                last = exc
            except _STALE as exc:
                if not replay:
                    raise self._unavailable(exc) from exc
                last = exc
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                raise self._unavailable(exc) from exc
        raise self._unavailable(last)

    async def request(self, method: str, path: str, *, identity: Identity | None, params: Any = None,
                      json: Any = None, headers: dict[str, str] | None = None,
                      replay: bool = False) -> ServiceResponse:
        """Send one call to a replica and read its answer; 503 `service_unavailable` when none answers.
        `replay=True` only for calls that change nothing (see `_send`)."""
        all_headers = {**tracing.outgoing_headers(), **(headers or {}), **(headers_for(identity) if identity else {})}
        resp = await self._send(method, _target(path, params), json=json, headers=all_headers, replay=replay)
        try:
            return ServiceResponse(resp.status, resp.headers, await resp.read())
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:  # broken while reading: not replayed either
            raise self._unavailable(exc) from exc
        finally:
            resp.release()

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
        if self._session is not None:
            await self._session.close()
