"""Round trips to a database, counted on the wire: a TCP proxy on loopback that counts one
each time a connection's client speaks after its server has (a request answered, then the
next one). It sees every path a statement may take (SQLAlchemy, the raw driver, a pipelined
``executemany``) alike. Used by the intake tests and ``bench.intake_profile``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass


@dataclass
class Turns:
    """Round trips and connections the proxy has seen so far."""

    round_trips: int = 0
    connections: int = 0


async def _pipe(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    turns: Turns,
    spoke: list[bool],
    from_client: bool,
) -> None:
    """Copy one direction; ``spoke[0]``: the server spoke since the client last did."""
    try:
        while data := await reader.read(65536):
            if from_client:
                if spoke[0]:
                    turns.round_trips += 1
                    spoke[0] = False
            else:
                spoke[0] = True
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        writer.close()


@asynccontextmanager
async def counting_proxy(host: str, port: int) -> AsyncIterator[tuple[int, Turns]]:
    """A proxy to ``host:port`` on a free loopback port of the running loop: (port, turns)."""
    turns = Turns()
    tasks: set[asyncio.Task[None]] = set()

    async def handle(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        server_r, server_w = await asyncio.open_connection(host, port)
        turns.connections += 1
        spoke = [True]
        both = asyncio.gather(
            _pipe(client_r, server_w, turns, spoke, True),
            _pipe(server_r, client_w, turns, spoke, False),
        )
        task = asyncio.ensure_future(both)
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        await task

    proxy = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield int(proxy.sockets[0].getsockname()[1]), turns
    finally:
        proxy.close()
        for task in list(tasks):
            task.cancel()
