"""Lead intake throughput against the no-database baseline of the same server.

Starts Leadflow as `make run` does (the API and its worker process), drives it with wrk and
prints, in one run: requests/s for GET /api/v1/ping, requests/s for a JSON POST /api/v1/leads
that enrols a new lead (distinct caller IDs) into a schedule, their ratio, and p50/p99 latency;
on SQLite and, when its server binaries are installed, PostgreSQL. It then checks that every
lead acknowledged with a 2xx is in the database.

    .venv/bin/python -m bench.intake [--seconds 10] [--connections 32] [--skip-postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import tempfile
from pathlib import Path

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


def measure(database_url: str, seconds: int, connections: int) -> tuple[WrkResult, WrkResult, int]:
    company = create_company(database_url)
    with server(database_url) as base:
        token = make_schedule(base, company)
        # Warm both paths so neither pays first-request costs inside the measurement.
        run_wrk(f"{base}/api/v1/ping", 2, connections)
        run_wrk(
            f"{base}/api/v1/leads", 2, connections, LUA, {"LEAD_TOKEN": token, "OFFSET": "5000000"}
        )
        ping = run_wrk(f"{base}/api/v1/ping", seconds, connections)
        before = asyncio.run(count_leads(database_url))
        leads = run_wrk(
            f"{base}/api/v1/leads", seconds, connections, LUA, {"LEAD_TOKEN": token, "OFFSET": "0"}
        )
    stored = asyncio.run(count_leads(database_url)) - before
    return ping, leads, stored


def report(engine: str, ping: WrkResult, leads: WrkResult, stored: int) -> None:
    acknowledged = leads.requests - leads.non_2xx - leads.socket_errors
    print(f"\n== {engine}")
    print(
        f"GET  /api/v1/ping   {ping.requests_per_second:9.0f} req/s   "
        f"p50 {ping.p50_ms:6.2f} ms   p99 {ping.p99_ms:6.2f} ms   {ping.steal}"
    )
    print(
        f"POST /api/v1/leads  {leads.requests_per_second:9.0f} req/s   "
        f"p50 {leads.p50_ms:6.2f} ms   p99 {leads.p99_ms:6.2f} ms   "
        f"non-2xx {leads.non_2xx}   socket errors {leads.socket_errors}   {leads.steal}"
    )
    print(f"ratio leads/ping    {leads.requests_per_second / ping.requests_per_second:9.2f}")
    print(
        f"leads stored {stored} for at least {acknowledged} acknowledged "
        f"({'ok' if stored >= acknowledged else 'LOST LEADS'})"
    )


def postgres_url() -> tuple[str, object] | None:
    try:
        from tests.support.databases import create_postgres_database
        from tests.support.postgres import start_cluster
    except ImportError:
        return None
    try:
        cluster = start_cluster()
    except Exception as exc:
        print(f"\n(PostgreSQL skipped: {exc})")
        return None
    url = asyncio.run(create_postgres_database(cluster.url, "leadflow_bench"))
    return url, cluster


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="leadflow-bench-") as directory:
        url = f"sqlite:///{directory}/bench.db"
        report("SQLite", *measure(url, args.seconds, args.connections))
    if not args.skip_postgres:
        found = postgres_url()
        if found is not None:
            url, cluster = found
            try:
                report("PostgreSQL", *measure(url, args.seconds, args.connections))
            finally:
                cluster.stop()  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
