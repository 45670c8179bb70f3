"""make_call throughput against the no-database baseline of the same server.

Starts Leadflow as `make run` does (the API and its worker process, the simulated voice channel),
sets the company's calls_per_second high so the budget never refuses, and drives it with wrk:
requests/s for GET /api/v1/ping, then for POST /api/v1/schedules/make_call with a distinct
number per request (so the 30-second redial lock never refuses either), each creating a
one-off lead, storing the call, dialing it and recording the answer; prints both, their ratio
and p50/p99 latency, on SQLite and, when its server binaries are installed, PostgreSQL. It
then checks that every call acknowledged with a 2xx is in the database.

    .venv/bin/python -m bench.make_call [--seconds 10] [--connections 32] [--skip-postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import tempfile
from pathlib import Path

import httpx
from sqlalchemy import text

from bench.intake import postgres_url
from bench.serverproc import create_company, server
from bench.wrk import WrkResult, run_wrk
from leadflow.db.engine import create_engine

CALLS_PER_SECOND = 1_000_000

# A distinct valid number per request: wrk gives each thread its own Lua state, so each
# thread counts in its own range.
LUA = """
local auth = os.getenv("AUTH")
local schedule_id = os.getenv("SCHEDULE_ID")
local offset = tonumber(os.getenv("OFFSET") or "0")
local counter = 0
local thread_id = 0
local next_thread = 0

function setup(thread)
  thread:set("thread_id", next_thread)
  next_thread = next_thread + 1
end

request = function()
  counter = counter + 1
  local n = offset + thread_id * 1000000 + counter
  local to = string.format("+1719%03d%04d", 200 + math.floor(n / 10000) % 800, n % 10000)
  local body = string.format(
    '{"schedule_id":%s,"to":"%s","data":{"first_name":"Bench","n":%d}}', schedule_id, to, n)
  return wrk.format("POST", "/api/v1/schedules/make_call",
    {["Content-Type"] = "application/json", ["Authorization"] = auth}, body)
end
"""


def make_schedule(base: str, auth: dict[str, str]) -> int:
    offer = httpx.post(f"{base}/api/v1/offers", json={"name": "Bench offer"}, headers=auth)
    offer.raise_for_status()
    schedule = httpx.post(
        f"{base}/api/v1/schedules",
        json={"name": "Bench schedule", "offer_id": offer.json()["offer"]["id"]},
        headers=auth,
    )
    schedule.raise_for_status()
    return int(schedule.json()["schedule"]["id"])


async def scalar(database_url: str, statement: str) -> int:
    engine = create_engine(database_url)
    try:
        async with engine.begin() as conn:
            return int(await conn.scalar(text(statement)) or 0)
    finally:
        await engine.dispose()


async def execute(database_url: str, statement: str) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(statement))
    finally:
        await engine.dispose()


def measure(
    database_url: str, seconds: int, connections: int, script: str
) -> tuple[WrkResult, WrkResult, int]:
    company = create_company(database_url)
    raw = f"{company['public_key']}:{company['private_key']}".encode()
    auth = {"Authorization": "Basic " + base64.b64encode(raw).decode()}
    asyncio.run(
        execute(database_url, f"UPDATE companies SET calls_per_second = {CALLS_PER_SECOND}")
    )
    with server(database_url) as base:
        schedule_id = make_schedule(base, auth)
        env = {"AUTH": auth["Authorization"], "SCHEDULE_ID": str(schedule_id)}
        url = f"{base}/api/v1/schedules/make_call"
        # Warm both paths so neither pays first-request costs inside the measurement.
        run_wrk(f"{base}/api/v1/ping", 2, connections)
        run_wrk(url, 2, connections, script, {**env, "OFFSET": "5000000"})
        ping = run_wrk(f"{base}/api/v1/ping", seconds, connections)
        before = asyncio.run(scalar(database_url, "SELECT count(*) FROM calls"))
        calls = run_wrk(url, seconds, connections, script, {**env, "OFFSET": "0"})
    stored = asyncio.run(scalar(database_url, "SELECT count(*) FROM calls")) - before
    return ping, calls, stored


def report(engine: str, ping: WrkResult, calls: WrkResult, stored: int) -> None:
    acknowledged = calls.requests - calls.non_2xx - calls.socket_errors
    print(f"\n== {engine}")
    print(
        f"GET  /api/v1/ping                {ping.requests_per_second:9.0f} req/s   "
        f"p50 {ping.p50_ms:6.2f} ms   p99 {ping.p99_ms:6.2f} ms   {ping.steal}"
    )
    print(
        f"POST /api/v1/schedules/make_call {calls.requests_per_second:9.0f} req/s   "
        f"p50 {calls.p50_ms:6.2f} ms   p99 {calls.p99_ms:6.2f} ms   "
        f"non-2xx {calls.non_2xx}   socket errors {calls.socket_errors}   {calls.steal}"
    )
    ratio = calls.requests_per_second / ping.requests_per_second
    print(f"ratio make_call/ping             {ratio:9.2f}")
    print(
        f"calls stored {stored} for at least {acknowledged} acknowledged "
        f"({'ok' if stored >= acknowledged else 'LOST CALLS'})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="leadflow-bench-") as directory:
        script = Path(directory) / "make_call.lua"
        script.write_text(LUA)
        url = f"sqlite:///{directory}/bench.db"
        report("SQLite", *measure(url, args.seconds, args.connections, str(script)))
        if not args.skip_postgres:
            found = postgres_url()
            if found is not None:
                pg_url, cluster = found
                try:
                    report(
                        "PostgreSQL", *measure(pg_url, args.seconds, args.connections, str(script))
                    )
                finally:
                    cluster.stop()  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
