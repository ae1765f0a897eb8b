"""The keep-alive client booking uses for availability's check, against real sockets."""
from __future__ import annotations

import asyncio

import pytest

from services.booking.adapters.http11 import HttpError, KeepAliveClient


async def _server(behaviour):
    server = await asyncio.start_server(behaviour, "127.0.0.1", 0)
    return server, f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"


async def _read_request(reader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = int([line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")][0])
    return await reader.readexactly(length)


async def test_answers_are_read_and_a_connection_closed_while_idle_is_replaced():
    connections = []

    async def answer_once_then_close(reader, writer):
        connections.append(writer)
        body = await _read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n%s"
                     % (len(body), body))
        await writer.drain()
        writer.close()  # without telling the client: its kept connection goes stale

    server, url = await _server(answer_once_then_close)
    client = KeepAliveClient(url, timeout=2)
    try:
        for n in range(3):
            assert await client.post("/x", b'{"n": %d}' % n, {"X-Test": "1"}) == (200, b'{"n": %d}' % n)
        assert len(connections) == 3
    finally:
        await client.close()
        server.close()


async def test_a_silent_server_times_out_and_a_closed_port_fails_fast():
    async def never_answer(reader, writer):
        await asyncio.sleep(10)

    server, url = await _server(never_answer)
    try:
        with pytest.raises(HttpError):
            await KeepAliveClient(url, timeout=0.3).post("/x", b"{}", {})
    finally:
        server.close()
    with pytest.raises(HttpError):
        await KeepAliveClient(url, timeout=2).post("/x", b"{}", {})


async def test_a_keep_alive_server_serves_every_request_on_one_connection():
    connections = []

    async def keep_alive(reader, writer):
        connections.append(writer)
        try:
            while True:
                body = await _read_request(reader)
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n%s"
                             % (len(body), body))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    server, url = await _server(keep_alive)
    client = KeepAliveClient(url, timeout=2)
    try:
        for n in range(5):
            assert await client.post("/x", b'{"n": %d}' % n, {}) == (200, b'{"n": %d}' % n)
        assert len(connections) == 1
    finally:
        await client.close()
        server.close()
