"""The one client of service calls (shared.service_client) against real sockets: what booking's check with
availability relies on — kept-alive connections, a stale one replaced for a call that may be replayed and
never for one that may not, timeouts and refused ports as 503."""
from __future__ import annotations

import asyncio

import pytest

from shared.errors import ServiceUnavailable
from shared.service_client import ServiceClient, Timeouts


async def _server(behaviour):
    server = await asyncio.start_server(behaviour, "127.0.0.1", 0)
    return server, f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"


async def _read_request(reader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = int([line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")][0])
    return await reader.readexactly(length)


def _answer(body: bytes) -> bytes:
    return (b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n%s"
            % (len(body), body))


async def _stale_after_answer(connections: list):
    """Answers, keeps the connection open a moment (the client keeps it), then closes it without a word."""
    async def behaviour(reader, writer):
        connections.append(writer)
        body = await _read_request(reader)
        writer.write(_answer(body))
        await writer.drain()
        await asyncio.sleep(0.05)
        writer.close()
    return await _server(behaviour)


async def test_a_connection_closed_while_idle_is_replaced_for_a_replayable_call():
    connections: list = []
    server, url = await _stale_after_answer(connections)
    client = ServiceClient("availability", [url], timeout=Timeouts(read=2, connect=1))
    try:
        for n in range(3):
            answer = await client.request("POST", "/x", identity=None, json={"n": n}, replay=True)
            assert (answer.status_code, answer.json()) == (200, {"n": n})
            await asyncio.sleep(0.1)  # the server has closed the kept connection meanwhile
        assert len(connections) == 3
    finally:
        await client.aclose()
        server.close()


async def test_a_silent_server_times_out_and_a_closed_port_fails_fast():
    async def never_answer(reader, writer):
        await asyncio.sleep(10)

    server, url = await _server(never_answer)
    client = ServiceClient("availability", [url], timeout=Timeouts(read=0.3, connect=1))
    try:
        with pytest.raises(ServiceUnavailable):
            await client.request("POST", "/x", identity=None, json={}, replay=True)
    finally:
        await client.aclose()
        server.close()
    closed = ServiceClient("availability", [url], timeout=Timeouts(read=2, connect=1))
    try:
        with pytest.raises(ServiceUnavailable):
            await asyncio.wait_for(closed.request("POST", "/x", identity=None, json={}, replay=True), 3)
    finally:
        await closed.aclose()


async def test_a_keep_alive_server_serves_every_request_on_one_connection():
    connections = []

    async def keep_alive(reader, writer):
        connections.append(writer)
        try:
            while True:
                writer.write(_answer(await _read_request(reader)))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    server, url = await _server(keep_alive)
    client = ServiceClient("availability", [url], timeout=Timeouts(read=2, connect=1))
    try:
        for n in range(5):
            answer = await client.request("POST", "/x", identity=None, json={"n": n}, replay=True)
            assert answer.json() == {"n": n}
        assert len(connections) == 1
    finally:
        await client.aclose()
        server.close()


async def _drops_first_request(requests: list):
    """The first connection reads the request and hangs up without answering (a kept-alive connection the
    server had just dropped looks the same to the client); later connections answer."""
    async def behaviour(reader, writer):
        body = await _read_request(reader)
        requests.append(body)
        if len(requests) > 1:
            writer.write(_answer(body))
            await writer.drain()
        writer.close()
    return await _server(behaviour)


async def test_a_call_lost_with_its_connection_is_sent_again_only_when_replayable():
    requests: list = []
    server, url = await _drops_first_request(requests)
    client = ServiceClient("availability", [url], timeout=Timeouts(read=2, connect=1))
    try:
        answer = await client.request("POST", "/check", identity=None, json={"n": 1}, replay=True)
        assert answer.json() == {"n": 1} and len(requests) == 2
    finally:
        await client.aclose()
        server.close()

    requests.clear()
    server, url = await _drops_first_request(requests)
    client = ServiceClient("booking", [url], timeout=Timeouts(read=2, connect=1))
    try:
        with pytest.raises(ServiceUnavailable):
            await client.request("POST", "/rdvs", identity=None, json={"n": 1})
        await asyncio.sleep(0.1)
        assert len(requests) == 1  # a write is never sent twice
    finally:
        await client.aclose()
        server.close()


async def _recording_server(requests: list, answer: bytes, *, close: bool = False):
    """Records each request's head and body; answers `answer` (raw bytes) on a kept-alive connection,
    or closes after each answer."""
    async def behaviour(reader, writer):
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lengths = [int(line.split(b":")[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length")]
                body = await reader.readexactly(lengths[0]) if lengths else b""
                requests.append((head, body, writer))
                writer.write(answer)
                await writer.drain()
                if close:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()
    return await _server(behaviour)


async def test_a_chunked_answer_with_repeated_headers_is_read_whole():
    requests: list = []
    answer = (b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n"
              b"Transfer-Encoding: chunked\r\n\r\n5\r\n{\"n\":\r\n2\r\n1}\r\n0\r\n\r\n")
    server, url = await _recording_server(requests, answer)
    client = ServiceClient("reporting", [url], timeout=Timeouts(read=2, connect=1))
    try:
        for _ in range(2):
            got = await client.request("GET", "/x", identity=None)
            assert (got.status_code, got.json(), got.headers.getall("set-cookie")) == (201, {"n": 1}, ["a=1", "b=2"])
            assert got.headers["content-type"] == "application/json"
        assert len({id(writer) for _, _, writer in requests}) == 1  # both on the kept-alive connection
    finally:
        await client.aclose()
        server.close()


async def test_an_answer_saying_close_is_not_kept_and_the_next_call_opens_a_connection():
    requests: list = []
    server, url = await _recording_server(requests, b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n",
                                          close=True)
    client = ServiceClient("booking", [url], timeout=Timeouts(read=2, connect=1))
    try:
        for _ in range(2):
            assert (await client.request("DELETE", "/rdvs/1", identity=None)).status_code == 204
        assert len({id(writer) for _, _, writer in requests}) == 2
    finally:
        await client.aclose()
        server.close()


async def test_the_target_is_percent_encoded_and_a_body_goes_as_given():
    requests: list = []
    server, url = await _recording_server(requests, _answer(b"{}"))
    client = ServiceClient("usagers", [url], timeout=Timeouts(read=2, connect=1))
    try:
        raw = b'{"nom": "\\u00c9lodie",  "x": 1}'
        await client.request("POST", "/usagers/a b\r\nX-Injected: 1", identity=None, params={"q": "é&z"},
                             body=raw, headers={"Accept-Language": "fr"})
        head, body, _ = requests[0]
        request_line, *header_lines = head.decode().split("\r\n")
        assert request_line == "POST /usagers/a%20b%0D%0AX-Injected:%201?q=%C3%A9%26z HTTP/1.1"
        assert not any(line.lower().startswith("x-injected") for line in header_lines)
        assert "Content-Type: application/json" in header_lines and body == raw
        with pytest.raises(ValueError):
            await client.request("GET", "/x", identity=None, headers={"Accept-Language": "fr\r\nX-Injected: 1"})
        assert len(requests) == 1
    finally:
        await client.aclose()
        server.close()


async def test_an_answer_to_head_has_no_body_whatever_its_length_says():
    requests: list = []
    server, url = await _recording_server(requests, b"HTTP/1.1 200 OK\r\nContent-Length: 42\r\n\r\n")
    client = ServiceClient("booking", [url], timeout=Timeouts(read=1, connect=1))
    try:
        for _ in range(2):
            got = await asyncio.wait_for(client.request("HEAD", "/rdvs", identity=None), 2)
            assert (got.status_code, got.content) == (200, b"")
    finally:
        await client.aclose()
        server.close()
