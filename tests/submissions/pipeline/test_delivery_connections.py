"""The delivery client's connections against raw HTTP/1.1 servers on loopback: kept-alive
connections are reused, a connection the buyer closed is not, every framing reads back whole,
and a buyer that hangs up, stays silent or is not there fails as httpx's errors say."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import httpx
import pytest

from leadflow.kit.pinned_http import OutboundPolicy
from leadflow.submissions.pipeline.client import delivery_client
from tests.support.raw_http import answer, read_request

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@asynccontextmanager
async def raw_server(handler: Handler) -> AsyncIterator[tuple[str, list[int]]]:
    """A server running ``handler`` per connection; yields its URL and a connection counter."""
    connections: list[int] = []

    async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        try:
            await handler(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/buy", connections
    finally:
        server.close()


async def keep_alive(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while True:
        body = await read_request(reader)
        writer.write(answer(b'{"echo": %d}' % len(body)))
        await writer.drain()


@pytest.fixture(params=["wire", "httpx"])
async def client(request: pytest.FixtureRequest) -> AsyncIterator[httpx.AsyncClient]:
    async with delivery_client(OutboundPolicy(False, True), 2.0, request.param) as http:
        yield http


async def test_deliveries_to_one_buyer_share_one_kept_alive_connection(
    client: httpx.AsyncClient,
) -> None:
    async with raw_server(keep_alive) as (url, connections):
        for size in (3, 5, 7):
            response = await client.post(url, content=b"x" * size)
            assert response.json() == {"echo": size}
    assert len(connections) == 1


async def test_a_connection_the_buyer_closed_is_not_reused(client: httpx.AsyncClient) -> None:
    async def once(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(answer(b'{"ok": true}'))  # keep-alive announced, then the buyer hangs up
        await writer.drain()

    async with raw_server(once) as (url, connections):
        assert (await client.post(url, content=b"a")).status_code == 200
        await asyncio.sleep(0.05)  # the close reaches the client while the connection idles
        assert (await client.post(url, content=b"b")).json() == {"ok": True}
    assert len(connections) == 2


async def test_connection_close_and_chunked_answers_read_back_whole(
    client: httpx.AsyncClient,
) -> None:
    async def chunked(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            b'6\r\n{"a": \r\n3\r\n"b"\r\n1\r\n}\r\n0\r\n\r\n'
        )
        await writer.drain()

    async with raw_server(chunked) as (url, connections):
        for _ in range(2):
            assert (await client.post(url, content=b"{}")).json() == {"a": "b"}
    assert len(connections) == 2


async def test_a_buyer_hanging_up_without_answering_is_a_protocol_error(
    client: httpx.AsyncClient,
) -> None:
    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)

    async with raw_server(hang_up) as (url, _):
        with pytest.raises(httpx.RemoteProtocolError):
            await client.post(url, content=b"{}")


async def test_a_request_lost_on_a_kept_alive_connection_is_not_sent_again(
    client: httpx.AsyncClient,
) -> None:
    """The buyer took the request and hung up without answering: it may have the lead, so
    the transport raises instead of re-sending it on a new connection."""
    bodies: list[bytes] = []

    async def answer_once(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        bodies.append(await read_request(reader))
        writer.write(answer(b'{"ok": true}'))
        await writer.drain()
        bodies.append(await read_request(reader))  # the second lead: taken, never answered

    async with raw_server(answer_once) as (url, connections):
        assert (await client.post(url, content=b"first")).status_code == 200
        with pytest.raises(httpx.RemoteProtocolError):
            await client.post(url, content=b"second")
        await asyncio.sleep(0.05)  # a re-send would reach the server by now
    assert bodies == [b"first", b"second"]
    assert len(connections) == 1


async def test_a_silent_buyer_times_out_on_read(client: httpx.AsyncClient) -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        await asyncio.sleep(5)

    async with raw_server(silent) as (url, _):
        with pytest.raises(httpx.ReadTimeout):
            await client.post(url, content=b"{}", timeout=0.2)


async def test_nobody_listening_is_a_connect_error(client: httpx.AsyncClient) -> None:
    async with raw_server(keep_alive) as (url, _):
        pass  # closed: the port refuses
    with pytest.raises(httpx.ConnectError):
        await client.post(url, content=b"{}")
