"""The cadence burst on PostgreSQL: one worker process, then several, on the same number of
fresh due leads, and the scaling between them (``python -m bench.cadence --postgres``; the
leads and schedules are :mod:`bench.cadence`'s)."""

from __future__ import annotations

import argparse
import asyncio
import itertools
import multiprocessing
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import asyncpg

from bench.cadence import lead_rows, noon_zone, setup
from bench.machine import Steal
from leadflow.clock import SystemClock
from leadflow.db.engine import create_engine
from leadflow.db.group_commit import GroupCommitter
from leadflow.db.migrate import upgrade
from leadflow.settings import Settings
from leadflow.worker.context import worker_context
from leadflow.worker.jobs import default_jobs
from leadflow.worker.runner import Worker


async def _drain(url: str, settings: Settings, ready: Any, go: Any) -> None:
    """One worker process: work until no lead is due or waiting on a call any more (another
    process may hold the due ones for a moment, so "nothing claimed" is not "done")."""
    engine = create_engine(url)
    committer = GroupCommitter(engine)
    async with worker_context(engine, committer, SystemClock(), settings) as context:
        worker = Worker(context, default_jobs())
        ready.wait()
        go.wait()
        while True:
            if await worker.run_once():
                continue
            async with engine.connect() as connection:
                left = await connection.exec_driver_sql(
                    "SELECT 1 FROM leads WHERE next_action_at IS NOT NULL LIMIT 1"
                )
                if left.first() is None:
                    break
            await asyncio.sleep(0.01)
    await committer.close()
    await engine.dispose()


def _worker_process(url: str, batch: int, ready: Any, go: Any) -> None:
    settings = Settings(database_url=url, worker_batch_size=batch, worker_poll_seconds=0.02)
    asyncio.run(_drain(url, settings, ready, go))


def run_workers(url: str, workers: int, batch: int) -> float:
    """``workers`` processes draining the due leads together; the wall time from the moment
    all of them are ready (imports and connections are not the cadence's cost)."""
    spawn = multiprocessing.get_context("spawn")
    ready, go = spawn.Barrier(workers + 1), spawn.Event()
    processes = [
        spawn.Process(target=_worker_process, args=(url, batch, ready, go)) for _ in range(workers)
    ]
    for process in processes:
        process.start()
    ready.wait()
    started = time.perf_counter()
    go.set()
    for process in processes:
        process.join()
    return time.perf_counter() - started


async def pg_load(url: str, rows: Iterator[tuple[Any, ...]]) -> None:
    connection = await asyncpg.connect(url)
    try:
        records = [
            (*row[:7], *(datetime.fromisoformat(t).replace(tzinfo=UTC) for t in row[7:]))
            for row in rows
        ]
        await connection.executemany(
            "INSERT INTO leads (uuid, company_id, offer_id, schedule_id, caller_id, email, tokens,"
            " status, action_index, next_action_at, contact_attempts, calls_placed,"
            " calls_connected, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7,"
            " 'scheduled', 0, $8, 0, 0, 0, $9, $10)",
            records,
        )
    finally:
        await connection.close()


async def pg_dispatched(url: str) -> int:
    connection = await asyncpg.connect(url)
    try:
        return int(
            await connection.fetchval(
                "SELECT (SELECT count(*) FROM messages) + (SELECT count(*) FROM calls)"
            )
        )
    finally:
        await connection.close()


def postgres(args: argparse.Namespace) -> None:
    """The burst on PostgreSQL with one worker process, then with ``--workers``, each on a
    fresh ``--leads`` due leads; prints both rates and the scaling between them."""
    cluster = None
    url = args.database_url
    if url is None:
        from tests.support.postgres import start_cluster

        cluster = start_cluster(durable=True)
        url = cluster.url
    try:
        upgrade(url)
        company_id, offer_id, burst_schedule, _ = asyncio.run(setup(url))
        zone = noon_zone(datetime.now(UTC))
        rates = {}
        for workers in sorted({1, args.workers}):
            now = datetime.now(UTC)
            first = (workers - 1) * args.leads
            ids = (company_id, offer_id, burst_schedule)
            asyncio.run(
                pg_load(url, lead_rows(first, args.leads, ids, itertools.repeat(now), zone))
            )
            before = asyncio.run(pg_dispatched(url))
            with Steal() as steal:
                elapsed = run_workers(url, workers, args.batch)
            actions = asyncio.run(pg_dispatched(url)) - before
            rates[workers] = actions / elapsed
            print(
                f"postgresql, {workers} worker process(es): {actions:,} actions in"
                f" {elapsed:.1f} s = {rates[workers]:,.0f} actions/s; {steal}"
            )
        if args.workers > 1:
            print(f"scaling {args.workers} workers vs 1: {rates[args.workers] / rates[1]:.2f}x")
    finally:
        if cluster is not None:
            cluster.stop()
