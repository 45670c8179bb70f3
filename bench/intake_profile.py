"""Round trips to PostgreSQL per lead posted: what intake costs the database's connection.

Counted on the wire, not in our code, so the figure holds whatever path a statement takes
(SQLAlchemy, the raw driver, a pipelined ``executemany``): the API reaches PostgreSQL through a
small TCP proxy started here, which counts one round trip each time a connection's client
speaks after its server has (a request answered, then the next one). Leads are posted with wrk
(distinct caller IDs, as in ``bench.intake``), the embedded worker is off so that only the API's
traffic is counted, and the count taken while wrk ran is divided by the leads it stored. The
proxy slows each round trip, so its requests/s are not a throughput figure: ``bench.intake``
gives those.

    .venv/bin/python -m bench.intake_profile [--seconds 5] [--connections 32] [--workers 1]
        [--postgres-url postgresql://postgres@127.0.0.1:55432/postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass

from sqlalchemy.engine import make_url

from bench.intake import LUA, count_leads, make_schedule
from bench.serverproc import create_company, free_port, server
from bench.wrk import run_wrk

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:55432/postgres"


@dataclass
class Turns:
    """Round trips and connections seen by the proxy so far."""

    round_trips: int = 0
    connections: int = 0


async def _pipe(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    turns: Turns,
    spoke: list[bool],
    from_client: bool,
) -> None:
    """Copy one direction; ``spoke[0]`` is whether the server spoke since the client last did."""
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


@contextmanager
def counting_proxy(host: str, port: int) -> Iterator[tuple[int, Turns]]:
    """A proxy to ``host:port`` on a free local port, in a thread of its own."""
    turns = Turns()
    listen = free_port()
    loop = asyncio.new_event_loop()
    started = threading.Event()

    async def handle(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        server_r, server_w = await asyncio.open_connection(host, port)
        turns.connections += 1
        spoke = [True]
        await asyncio.gather(
            _pipe(client_r, server_w, turns, spoke, True),
            _pipe(server_r, client_w, turns, spoke, False),
        )

    async def main() -> None:
        proxy = await asyncio.start_server(handle, "127.0.0.1", listen)
        started.set()
        async with proxy:
            await proxy.serve_forever()

    thread = threading.Thread(target=lambda: _run(loop, main()), daemon=True)
    thread.start()
    started.wait(10)
    try:
        yield listen, turns
    finally:
        loop.call_soon_threadsafe(loop.stop)


def _run(loop: asyncio.AbstractEventLoop, main: object) -> None:
    with suppress(RuntimeError):  # stopped
        loop.run_until_complete(main)  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("LEADFLOW_TEST_POSTGRES_URL", DEFAULT_SERVER),
        help="a server to make a fresh database on",
    )
    args = parser.parse_args()
    from tests.support.databases import create_postgres_database

    name = f"leadflow_bench_{uuid.uuid4().hex[:8]}"
    direct = asyncio.run(create_postgres_database(args.postgres_url, name))
    target = make_url(direct)
    company = create_company(direct)
    with counting_proxy(target.host or "127.0.0.1", target.port or 5432) as (port, turns):
        proxied = target.set(host="127.0.0.1", port=port).render_as_string(hide_password=False)
        env = {"LEADFLOW_EMBEDDED_WORKER": "false"}
        with server(proxied, args.workers, env) as base:
            token = make_schedule(base, company)
            lua_env = {"LEAD_TOKEN": token, "OFFSET": "5000000"}
            run_wrk(f"{base}/api/v1/leads", 2, args.connections, LUA, lua_env)  # warm up
            before_leads = asyncio.run(count_leads(direct))
            before = turns.round_trips
            lua_env["OFFSET"] = "0"
            result = run_wrk(f"{base}/api/v1/leads", args.seconds, args.connections, LUA, lua_env)
            trips = turns.round_trips - before
            stored = asyncio.run(count_leads(direct)) - before_leads
    print(f"== PostgreSQL through a counting proxy, --workers {args.workers}")
    rate = result.requests_per_second
    print(f"leads stored      {stored} ({result.non_2xx} non-2xx, {rate:.0f} req/s)")
    print(f"round trips       {trips}")
    print(f"per lead          {trips / stored if stored else float('nan'):.2f}")
    print(f"({result.steal})")


if __name__ == "__main__":
    main()
