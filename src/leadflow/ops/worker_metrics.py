"""``GET /metrics`` of a ``leadflow worker`` run on its own (``LEADFLOW_WORKER_METRICS_PORT``).

A worker that ``serve`` starts writes its samples to the directory its API processes merge,
so their ``/metrics`` has them. A worker started by itself, on a machine of workers, has no
API process beside it: without a port of its own, its cadence sends, webhook and buyer
deliveries and batch sizes would never reach Prometheus. It answers the same guard as the
API's page (:func:`leadflow.ops.scrape.may_scrape`: the token, else the allowed networks) and
nothing but ``GET /metrics``, so a few lines on asyncio's streams do; uvicorn's server would
take over the worker's signal handlers.
"""

from __future__ import annotations

import asyncio
import contextlib
from functools import partial

from leadflow.ops.scrape import CONTENT_TYPE, may_scrape, render
from leadflow.settings import Settings

READ_SECONDS = 5.0
"""How long a scraper may take to send its request line and headers."""
MAX_HEAD = 16 * 1024
"""A request's line and headers, at most: a scrape sends a few hundred bytes."""


async def serve_worker_metrics(settings: Settings) -> asyncio.Server:
    """Listen on ``LEADFLOW_WORKER_METRICS_HOST``:``LEADFLOW_WORKER_METRICS_PORT``."""
    return await asyncio.start_server(
        partial(_answer, settings),
        settings.worker_metrics_host,
        settings.worker_metrics_port,
        limit=MAX_HEAD,
    )


async def _answer(
    settings: Settings, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    """One request per connection: the samples, or a 404 to anything else or anyone else."""
    try:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), READ_SECONDS)
    except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        writer.close()
        return
    request, *lines = head.decode("latin-1").split("\r\n")
    method, _, rest = request.partition(" ")
    path = rest.partition(" ")[0].partition("?")[0]
    headers = {
        name.strip().lower(): value.strip()
        for name, _, value in (line.partition(":") for line in lines if line)
    }
    peer = writer.get_extra_info("peername")
    client = peer[0] if isinstance(peer, tuple) else None
    allowed = may_scrape(settings, headers.get("authorization"), client)
    if method == "GET" and path == "/metrics" and allowed:
        status, body, kind = "200 OK", render({}), CONTENT_TYPE
    else:
        status, body, kind = "404 Not Found", b"", "text/plain"
    writer.write(
        f"HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n".encode()
        + body
    )
    with contextlib.suppress(ConnectionError):
        await writer.drain()
    writer.close()
