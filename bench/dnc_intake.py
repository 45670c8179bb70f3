"""``bench.dnc --intake``: lead intake with the federal list in force against without, in one run.

One SQLite server, alternating rounds: the list leaves force (its ``dnc_lists`` row deleted)
and comes back (the row restored) between rounds, and every process re-reads the versions
within ``LEADFLOW_DNC_REFRESH_SECONDS`` (1 here), so both variants share the host's drift.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bench.intake import LUA, make_schedule, rate
from bench.serverproc import create_company, server
from bench.wrk import WrkResult, run_wrk
from leadflow.clock import SystemClock
from leadflow.db.engine import create_engine, make_sessionmaker
from leadflow.dnc import service

POSTED_AREA = 719
"""bench/lead_post.lua posts +1719NXXXXXX numbers."""


async def _sql(database_url: str, statement: str, **params: Any) -> list[Any]:
    engine = create_engine(database_url, 1)
    try:
        async with engine.begin() as conn:
            result = await conn.execute(text(statement), params)
            return list(result.mappings()) if result.returns_rows else []
    finally:
        await engine.dispose()


async def _import(database_url: str, dnc_dir: Path, source: Path) -> None:
    engine = create_engine(database_url, 2)
    try:
        await service.run_import(
            make_sessionmaker(engine), dnc_dir, SystemClock(), source, "federal", "full"
        )
    finally:
        await engine.dispose()


def intake_ratio(
    numbers: int,
    rounds: int,
    seconds: int,
    connections: int,
    generate: Callable[..., None],
) -> None:
    with tempfile.TemporaryDirectory(prefix="leadflow-dnc-bench-") as tmp:
        directory = Path(tmp)
        url = f"sqlite:///{directory}/bench.db"
        dnc_dir = directory / "dnc"
        company = create_company(url)
        source = directory / "federal.txt"
        generate(source, numbers, include=POSTED_AREA)
        asyncio.run(_import(url, dnc_dir, source))
        source.unlink()
        (row,) = asyncio.run(_sql(url, "SELECT * FROM dnc_lists WHERE name = 'federal'"))
        row = dict(row)
        print(f"federal list: {row['numbers']:,} numbers, file {row['file_name']}")

        def in_force(loaded: bool) -> None:
            asyncio.run(_sql(url, "DELETE FROM dnc_lists"))
            if loaded:
                columns = ", ".join(row)
                values = ", ".join(f":{name}" for name in row)
                asyncio.run(
                    _sql(url, f"INSERT INTO dnc_lists ({columns}) VALUES ({values})", **row)
                )
            time.sleep(1.5)  # every process re-reads within LEADFLOW_DNC_REFRESH_SECONDS

        env = {"LEADFLOW_DNC_DIR": str(dnc_dir), "LEADFLOW_DNC_REFRESH_SECONDS": "1"}
        share = max(1, round(seconds / rounds))
        with_list: list[WrkResult] = []
        without: list[WrkResult] = []
        with server(url, extra_env=env) as base:
            token = make_schedule(base, company)
            run_wrk(f"{base}/api/v1/leads", 2, connections, LUA, {"LEAD_TOKEN": token})
            for turn in range(rounds):
                # ABBA: the variants swap places every round, so the database's growth
                # over the run weighs on both alike.
                order = ((False, without), (True, with_list))
                for loaded, results in order if turn % 2 == 0 else order[::-1]:
                    in_force(loaded)
                    offset = str((2 * turn + int(loaded) + 1) * 200_000)
                    env_lua = {"LEAD_TOKEN": token, "OFFSET": offset}
                    results.append(
                        run_wrk(f"{base}/api/v1/leads", share, connections, LUA, env_lua)
                    )
        dnc = asyncio.run(_sql(url, "SELECT count(*) AS n FROM leads WHERE status = 'dnc'"))
    for turn, (off, on) in enumerate(zip(without, with_list, strict=True), start=1):
        print(
            f"round {turn}: without {off.requests_per_second:6.0f} req/s, with federal "
            f"{on.requests_per_second:6.0f} req/s, ratio "
            f"{on.requests_per_second / off.requests_per_second:4.2f}"
        )
    off_rate, on_rate = rate(without), rate(with_list)
    print(f"POST /api/v1/leads without a list     {off_rate:8.0f} req/s")
    print(f"POST /api/v1/leads with federal loaded {on_rate:8.0f} req/s")
    print(f"ratio with/without                     {on_rate / off_rate:8.3f} (target >= 0.95)")
    print(f"leads stored dnc (numbers on the list): {dnc[0]['n']}")
    non_2xx = sum(r.non_2xx + r.socket_errors for r in with_list + without)
    print(f"non-2xx or socket errors: {non_2xx}")
