"""Round trips to PostgreSQL per lead posted: what intake costs the database's connection.

Counted on the wire, not in our code, so the figure holds whatever path a statement takes
(SQLAlchemy, the raw driver, a pipelined ``executemany``): the API reaches PostgreSQL through a
small TCP proxy (``tests.support.round_trips``, which the intake tests use too) that counts one
round trip each time a connection's client speaks after its server has (a request answered,
then the next one). Leads are posted with wrk (distinct caller IDs, as in ``bench.intake``),
the embedded worker is off so that only the API's traffic is counted, and the count taken
while wrk ran is divided by the leads it stored. The proxy slows each round trip, so its
requests/s are not a throughput figure: ``bench.intake`` gives those.

    .venv/bin/python -m bench.intake_profile [--seconds 5] [--connections 32] [--workers 1]
        [--cpu] [--postgres-url postgresql://postgres@127.0.0.1:55432/postgres]

``--cpu`` then serves again without the proxy, the worker on as ``make run`` runs it, and
prints the CPU seconds per lead of the API processes, the worker and PostgreSQL's backends,
read from the kernel (on a shared server, other databases' backends are counted too).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import psutil
from sqlalchemy.engine import make_url
from tests.support.databases import create_postgres_database
from tests.support.round_trips import Turns, counting_proxy

from bench.intake import LUA, count_leads, make_schedule
from bench.serverproc import create_company, server
from bench.wrk import run_wrk

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:55432/postgres"


@contextmanager
def proxy_thread(host: str, port: int) -> Iterator[tuple[int, Turns]]:
    """The counting proxy on a loop of its own, in a thread: the bench blocks on wrk."""
    loop = asyncio.new_event_loop()
    ready: list[tuple[int, Turns]] = []
    started = threading.Event()
    stop = asyncio.Event()

    async def serve() -> None:
        async with counting_proxy(host, port) as found:
            ready.append(found)
            started.set()
            await stop.wait()

    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
    thread.start()
    started.wait(10)
    try:
        yield ready[0]
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(10)


def cpu_seconds(processes: list[psutil.Process]) -> float:
    """User and system CPU seconds the processes have used (those gone since: none)."""
    total = 0.0
    for process in processes:
        with suppress(psutil.Error):
            times = process.cpu_times()
            total += times.user + times.system
    return total


def cpu_per_lead(database_url: str, company: dict[str, str], args: argparse.Namespace) -> None:
    """CPU seconds per lead of the API processes, the worker process and every PostgreSQL
    backend, taken from the kernel while wrk posts, as ``make run`` serves (worker on)."""
    with server(database_url, args.workers) as base:
        token = make_schedule(base, company)
        lua_env = {"LEAD_TOKEN": token, "OFFSET": "7000000"}
        run_wrk(f"{base}/api/v1/leads", 2, args.connections, LUA, lua_env)  # warm up
        ours = psutil.Process().children(recursive=True)
        worker = [p for p in ours if any("wake-socket" in part for part in p.cmdline())]
        api = [p for p in ours if p not in worker]
        postgres = [p for p in psutil.process_iter() if p.name() == "postgres"]
        before = [cpu_seconds(group) for group in (api, worker, postgres)]
        leads_before = asyncio.run(count_leads(database_url))
        lua_env["OFFSET"] = "8000000"
        result = run_wrk(f"{base}/api/v1/leads", args.seconds, args.connections, LUA, lua_env)
        postgres = [p for p in psutil.process_iter() if p.name() == "postgres"]
        after = [cpu_seconds(group) for group in (api, worker, postgres)]
        stored = asyncio.run(count_leads(database_url)) - leads_before
    print(f"\n== CPU per lead, direct (no proxy), worker on, --workers {args.workers}")
    print(f"leads stored      {stored} ({result.requests_per_second:.0f} req/s)")
    for name, start, end in zip(("API", "worker", "PostgreSQL"), before, after, strict=True):
        print(f"{name:<17} {1e6 * (end - start) / max(stored, 1):6.0f} µs")
    print("(PostgreSQL: every backend of the server, other databases' included)")
    print(f"({result.steal})")


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
    parser.add_argument(
        "--cpu", action="store_true", help="then CPU per lead of API, worker and PostgreSQL"
    )
    args = parser.parse_args()
    name = f"leadflow_bench_{uuid.uuid4().hex[:8]}"
    direct = asyncio.run(create_postgres_database(args.postgres_url, name))
    target = make_url(direct)
    company = create_company(direct)
    with proxy_thread(target.host or "127.0.0.1", target.port or 5432) as (port, turns):
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
    if args.cpu:
        cpu_per_lead(direct, company, args)


if __name__ == "__main__":
    main()
