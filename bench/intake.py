"""Lead intake throughput against the no-database baseline of the same server.

Starts Leadflow as `make run` does (the API and its worker process), drives it with wrk and
prints, in one run: requests/s for GET /api/v1/ping, requests/s for a JSON POST /api/v1/leads
that enrols a new lead (distinct caller IDs) into a schedule, their ratio, and p50/p99 latency;
on SQLite and, when its server binaries are installed, PostgreSQL. The two endpoints take
turns (``--rounds``), so a drift in the host's speed weighs on both alike. It then checks that
every lead acknowledged with a 2xx is in the database.

    .venv/bin/python -m bench.intake [--seconds 10] [--rounds 5] [--connections 32]
                                     [--skip-postgres] [--skip-sqlite] [--workers 1 2]
                                     [--postgres-url postgresql://postgres@127.0.0.1:55432/postgres]

``--workers 1 2`` measures ``serve --workers 1`` and then ``--workers 2`` in the same run, each
against its own ping. ``--postgres-url`` uses a fresh database on that server instead of
starting a cluster of its own (a shared server is shared: say so beside the figures).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import tempfile
import uuid
from pathlib import Path
from statistics import median

import httpx
from sqlalchemy import text

from bench.serverproc import create_company, server
from bench.wrk import WrkResult, run_wrk
from leadflow.db.engine import create_engine

LUA = str(Path(__file__).with_name("lead_post.lua"))


def make_schedule(base: str, company: dict[str, str]) -> str:
    raw = f"{company['public_key']}:{company['private_key']}".encode()
    auth = {"Authorization": "Basic " + base64.b64encode(raw).decode()}
    offer = httpx.post(f"{base}/api/v1/offers", json={"name": "Bench offer"}, headers=auth)
    offer.raise_for_status()
    schedule = httpx.post(
        f"{base}/api/v1/schedules",
        json={"name": "Bench schedule", "offer_id": offer.json()["offer"]["id"]},
        headers=auth,
    )
    schedule.raise_for_status()
    return str(schedule.json()["schedule"]["leads_api_key"])


async def count_leads(database_url: str) -> int:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            return int(await conn.scalar(text("SELECT count(*) FROM leads")) or 0)
    finally:
        await engine.dispose()


def measure(
    database_url: str, seconds: int, connections: int, rounds: int, workers: int = 1
) -> tuple[list[WrkResult], list[WrkResult], int]:
    """``rounds`` rounds of ping then leads, ``seconds`` per endpoint in all: the host's speed
    drifts over tens of seconds here, and taking turns measures both through the same drift.
    Each lead round starts its caller IDs afresh, so no number is posted twice."""
    company = create_company(database_url)
    share = max(1, round(seconds / rounds))
    pings: list[WrkResult] = []
    leads: list[WrkResult] = []
    with server(database_url, workers) as base:
        token = make_schedule(base, company)
        # Warm both paths so neither pays first-request costs inside the measurement.
        run_wrk(f"{base}/api/v1/ping", 2, connections)
        run_wrk(
            f"{base}/api/v1/leads", 2, connections, LUA, {"LEAD_TOKEN": token, "OFFSET": "5000000"}
        )
        before = asyncio.run(count_leads(database_url))
        for turn in range(rounds):
            pings.append(run_wrk(f"{base}/api/v1/ping", share, connections))
            offset = str(turn * 200_000)
            env = {"LEAD_TOKEN": token, "OFFSET": offset}
            leads.append(run_wrk(f"{base}/api/v1/leads", share, connections, LUA, env))
    stored = asyncio.run(count_leads(database_url)) - before
    return pings, leads, stored


def rate(results: list[WrkResult]) -> float:
    """Requests per second over all the rounds together."""
    seconds = sum(r.requests / r.requests_per_second for r in results if r.requests_per_second)
    return sum(r.requests for r in results) / seconds if seconds else 0.0


def report(engine: str, pings: list[WrkResult], leads: list[WrkResult], stored: int) -> None:
    print(f"\n== {engine}")
    for turn, (ping, lead) in enumerate(zip(pings, leads, strict=True), start=1):
        print(
            f"round {turn}: ping {ping.requests_per_second:7.0f} req/s, leads "
            f"{lead.requests_per_second:6.0f} req/s, ratio "
            f"{lead.requests_per_second / ping.requests_per_second:4.2f}   "
            f"p99 {lead.p99_ms:6.1f} ms   {lead.steal}"
        )
    acknowledged = sum(r.requests - r.non_2xx - r.socket_errors for r in leads)
    ping_rate, lead_rate = rate(pings), rate(leads)
    ping_p50, lead_p50 = median(r.p50_ms for r in pings), median(r.p50_ms for r in leads)
    print(
        f"GET  /api/v1/ping   {ping_rate:9.0f} req/s   p50 {ping_p50:6.2f} ms"
        f"   p99 {max(r.p99_ms for r in pings):6.2f} ms"
    )
    print(
        f"POST /api/v1/leads  {lead_rate:9.0f} req/s   p50 {lead_p50:6.2f} ms"
        f"   p99 {max(r.p99_ms for r in leads):6.2f} ms   "
        f"non-2xx {sum(r.non_2xx for r in leads)}   "
        f"socket errors {sum(r.socket_errors for r in leads)}"
    )
    print(f"ratio leads/ping    {lead_rate / ping_rate:9.2f}")
    print("(req/s over all rounds; p50 the median of the rounds' p50s, p99 the worst round's)")
    print(
        f"leads stored {stored} for at least {acknowledged} acknowledged "
        f"({'ok' if stored >= acknowledged else 'LOST LEADS'})"
    )


def postgres_url(server_url: str | None) -> tuple[str, object] | None:
    """A fresh database: on ``server_url`` when given, else on a cluster started here."""
    if server_url is not None:
        from tests.support.databases import create_postgres_database

        name = f"leadflow_bench_{uuid.uuid4().hex[:8]}"
        return asyncio.run(create_postgres_database(server_url, name)), None
    try:
        from tests.support.databases import create_postgres_database
        from tests.support.postgres import start_cluster
    except ImportError:
        return None
    try:
        cluster = start_cluster(durable=True)
    except Exception as exc:
        print(f"\n(PostgreSQL skipped: {exc})")
        return None
    url = asyncio.run(create_postgres_database(cluster.url, "leadflow_bench"))
    return url, cluster


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=5, help="turns of ping, then leads")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--postgres-url", help="a server to make a fresh database on")
    parser.add_argument(
        "--workers", type=int, nargs="+", default=[1], help="serve --workers, each in turn"
    )
    args = parser.parse_args()
    sizes = (args.seconds, args.connections, args.rounds)
    if not args.skip_sqlite:
        for workers in args.workers:
            with tempfile.TemporaryDirectory(prefix="leadflow-bench-") as directory:
                url = f"sqlite:///{directory}/bench.db"
                report(f"SQLite, --workers {workers}", *measure(url, *sizes, workers))
    if not args.skip_postgres:
        for workers in args.workers:
            found = postgres_url(args.postgres_url)
            if found is None:
                break
            url, cluster = found
            try:
                report(f"PostgreSQL, --workers {workers}", *measure(url, *sizes, workers))
            finally:
                if cluster is not None:
                    cluster.stop()  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
