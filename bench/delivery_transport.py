"""CPU per request of each delivery transport, alone: the worker's delivery client posting to
one local buyer (``bench.auction``'s, in a process of its own), ``--in-flight`` requests at a
time, the transports in turns.

bench.submit and bench.auction measure the transports inside the pipeline, where a loaded host
moves every figure; CPU per request (``time.process_time``) moves far less with the load, so
this is the figure to compare when the host is shared.

    .venv/bin/python -m bench.delivery_transport [--requests 6000] [--in-flight 4,64]
                                               [--transport wire,aiohttp,httpx,aiohttp-alone]

``wire`` (the transport used) and ``httpx`` are the delivery client's two transports,
``aiohttp`` the same client over aiohttp's pool (``bench/aiohttp_transport.py``), and
``aiohttp-alone`` posts the same body through aiohttp's own client with no httpx layer, which
shows what the httpx layer costs. aiohttp is a development dependency.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time

import aiohttp
import uvloop

from bench.aiohttp_transport import client_named
from bench.auction import buyers_serving
from leadflow.kit.pinned_http import OutboundPolicy

BODY = b'{"email": "ada@example.com", "phone": "+12125550123"}'


async def turn(engine: str, port: int, requests: int, in_flight: int) -> str:
    if engine == "aiohttp-alone":
        return await aiohttp_turn(port, requests, in_flight)
    http = client_named(engine, OutboundPolicy(False, True), 5.0)
    url = f"http://127.0.0.1:{port}/post"
    headers = {"Content-Type": "application/json"}
    await asyncio.gather(*(http.post(url, content=BODY) for _ in range(in_flight)))  # warm
    room = asyncio.Semaphore(in_flight)

    async def one() -> None:
        async with room:
            answer = await http.post(url, content=BODY, headers=headers)
            assert answer.status_code == 200

    cpu, began = time.process_time(), time.perf_counter()
    await asyncio.gather(*(one() for _ in range(requests)))
    cpu, wall = time.process_time() - cpu, time.perf_counter() - began
    await http.aclose()
    return line(engine, in_flight, requests, cpu, wall)


async def aiohttp_turn(port: int, requests: int, in_flight: int) -> str:
    """The same turn through aiohttp's own client, with no httpx layer."""
    url = f"http://127.0.0.1:{port}/post"
    headers = {"Content-Type": "application/json"}
    connector = aiohttp.TCPConnector(limit=0, keepalive_timeout=5.0)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def post() -> None:
            async with http.post(url, data=BODY, headers=headers) as answer:
                assert answer.status == 200
                await answer.read()

        await asyncio.gather(*(post() for _ in range(in_flight)))  # warm
        room = asyncio.Semaphore(in_flight)

        async def one() -> None:
            async with room:
                await post()

        cpu, began = time.process_time(), time.perf_counter()
        await asyncio.gather(*(one() for _ in range(requests)))
        cpu, wall = time.process_time() - cpu, time.perf_counter() - began
    return line("aiohttp-alone", in_flight, requests, cpu, wall)


def line(engine: str, in_flight: int, requests: int, cpu: float, wall: float) -> str:
    return (
        f"{engine:13} {in_flight:3} in flight  {cpu / requests * 1e6:6.0f} µs CPU per request  "
        f"{requests / wall:6.0f} requests/s  load {os.getloadavg()[0]:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=6000)
    parser.add_argument("--in-flight", default="4,64")
    parser.add_argument(
        "--transport", default="wire,aiohttp,httpx,aiohttp-alone,wire,aiohttp,httpx,aiohttp-alone"
    )
    args = parser.parse_args()
    with buyers_serving() as ports:
        for in_flight in (int(n) for n in args.in_flight.split(",")):
            for engine in args.transport.split(","):
                print(uvloop.run(turn(engine, ports[0], args.requests, in_flight)), flush=True)


if __name__ == "__main__":
    main()
