"""HTTP/1.1 servers on loopback that answer what a test scripts, byte for byte: a buyer, a
webhook target or any URL a user configures, answering too much, for ever, or too slowly,
as no well-behaved server library would let a test answer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

GUARD_SECONDS = 8.0
"""Without the limits these servers hold a try for minutes, or for ever: fail instead."""

Reply = Callable[[asyncio.StreamWriter], Awaitable[bool]]
"""Writes one answer; whether the connection stays open for the next request."""


async def read_request(reader: asyncio.StreamReader) -> bytes:
    """One request read off the connection; its body."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    return await reader.readexactly(length)


def answer(body: bytes, *extra: bytes) -> bytes:
    """A JSON answer framed by ``Content-Length``, with ``extra`` header lines."""
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" + b"".join(extra)
    return head + b"Content-Length: %d\r\n\r\n" % len(body) + body


@dataclass
class RawServer:
    """Each request takes the next reply (the last repeats); counts connections, and notes
    when the client (the worker) hung up on it."""

    replies: list[Reply]
    port: int = 0
    connections: int = 0
    requests: int = 0
    hung_up: asyncio.Event = field(default_factory=asyncio.Event)

    def url(self, path: str = "/buy") -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@asynccontextmanager
async def raw_server(*replies: Reply) -> AsyncIterator[RawServer]:
    target = RawServer(list(replies))

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        target.connections += 1
        try:
            while True:
                await read_request(reader)
                target.requests += 1
                if not await target.replies[min(target.requests, len(target.replies)) - 1](writer):
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            target.hung_up.set()
        finally:
            writer.close()

    server = await asyncio.start_server(connection, "127.0.0.1", 0)
    target.port = server.sockets[0].getsockname()[1]
    try:
        yield target
    finally:
        server.close()


def sized(body: bytes, *extra: bytes) -> Reply:
    """An answer framed by ``Content-Length``, the connection kept alive."""

    async def reply(writer: asyncio.StreamWriter) -> bool:
        writer.write(answer(body, *extra))
        await writer.drain()
        return True

    return reply


def until_close(body: bytes) -> Reply:
    """An answer with no length: it ends when the buyer closes the connection."""

    async def reply(writer: asyncio.StreamWriter) -> bool:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n" + body)
        await writer.drain()
        return False

    return reply


async def never_answer(writer: asyncio.StreamWriter) -> bool:
    """Reads the request and says nothing, until the client gives up."""
    await asyncio.sleep(3600)
    return False


async def endless_chunks(writer: asyncio.StreamWriter) -> bool:
    """A chunked answer that never ends (until the worker hangs up)."""
    writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
    chunk = b"x" * 16_384
    while True:
        writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        await writer.drain()
        await asyncio.sleep(0.001)


async def dribble(writer: asyncio.StreamWriter) -> bool:
    """A 1,000-byte answer, one byte every 0.1 s: every wait is short, the whole is not."""
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
    for _ in range(1000):
        writer.write(b" ")
        await writer.drain()
        await asyncio.sleep(0.1)
    return True


def padded(body: bytes, size: int) -> bytes:
    """The JSON ``body`` padded with spaces to ``size`` bytes (still valid JSON)."""
    return body + b" " * (size - len(body))
