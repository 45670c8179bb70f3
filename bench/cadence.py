"""Cadence speed on SQLite: actions dispatched per second, peak memory, and lateness.

1. Bulk-loads ``--leads`` leads (raw sqlite3, in the storage format the ORM reads, indexed
   for search as intake's transactions index theirs), all due now, into a schedule of three
   actions: a text, an e-mail and a call. Then runs the worker's jobs (the real cadence job,
   sweep and webhook delivery, with the simulated channels) in one process until nothing is
   due, and
   prints actions dispatched per second (texts + e-mails + calls sent, divided by wall time).
2. Steady load: ``--steady-seconds`` more seconds of leads falling due at ``--rate`` per second
   (a text each), worked by the worker loop as ``leadflow worker`` runs it; prints the
   p50/p99 lateness between each lead's due time and its text's dispatch.
3. Peak RSS of the process (``ru_maxrss``), the whole run included.

With ``--postgres`` (a throwaway cluster, as the tests start one) or ``--database-url``, the
burst runs on PostgreSQL instead, with one worker process and then ``--workers``, and prints
the scaling between them.

The leads have US toll-free numbers, which name no zone of their own, and a ``time_zone`` token
naming a zone where it is about noon, so calling hours never hold them, whatever the time the
bench is run. (UK mobiles, as the bench used until 2026-12-08, are on London time whatever their
token says: at night in London every text and call was held.)

    .venv/bin/python -m bench.cadence [--leads 1000000] [--rate 1000] [--steady-seconds 30]
    .venv/bin/python -m bench.cadence --postgres --workers 2 --leads 20000
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import resource
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from bench.machine import Steal
from leadflow.clock import SystemClock
from leadflow.companies.repository import CompanyRepository
from leadflow.companies.service import create_company
from leadflow.db.engine import SQLITE_PRAGMAS, create_engine, make_sessionmaker
from leadflow.db.group_commit import GroupCommitter
from leadflow.db.migrate import upgrade
from leadflow.db.search_index import INDEX_NEW_LEADS
from leadflow.models import Offer, Schedule
from leadflow.settings import Settings
from leadflow.worker.context import worker_context
from leadflow.worker.jobs import default_jobs
from leadflow.worker.runner import Worker

ALL_DAY = {
    day: {"open": "0000", "close": "2359"}
    for day in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
}
ACTIONS = [
    {"type": "sms", "body": "Hi [first_name]{there}, your quote is ready"},
    {"type": "email", "subject": "Your quote", "body": "Hello {{ first_name }}"},
    {"type": "call"},
]
BATCH = 50_000


def noon_zone(now: datetime) -> str:
    offset = (12 - now.hour) % 24
    offset = offset - 24 if offset > 14 else offset
    return f"Etc/GMT{-offset:+d}" if offset else "Etc/GMT"


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


async def setup(url: str) -> tuple[int, int, int, int]:
    """A company, its offer and two schedules (the burst's three actions, the steady text)."""
    engine = create_engine(url)
    now = datetime.now(UTC)
    async with make_sessionmaker(engine)() as session:
        made = await create_company(CompanyRepository(session), SystemClock(), "Bench")
        company_id = made.company.id
        offer = Offer(
            company_id=company_id,
            name="Bench",
            leads_api_key=uuid.uuid4().hex,
            created_at=now,
            updated_at=now,
        )
        session.add(offer)
        await session.flush()
        schedules = []
        for actions in (ACTIONS, ACTIONS[:1]):
            schedule = Schedule(
                company_id=company_id,
                offer_id=offer.id,
                name="Bench",
                leads_api_key=uuid.uuid4().hex,
                actions=actions,
                calling_hours=ALL_DAY,
                created_at=now,
                updated_at=now,
            )
            session.add(schedule)
            schedules.append(schedule)
        await session.flush()
        ids = (company_id, offer.id, schedules[0].id, schedules[1].id)
        await session.commit()
    await engine.dispose()
    return ids


def lead_rows(
    first: int, count: int, ids: tuple[int, int, int], due: Iterator[datetime], zone: str
) -> Iterator[tuple[Any, ...]]:
    company_id, offer_id, schedule_id = ids
    now = stamp(datetime.now(UTC))
    for n in range(first, first + count):
        tokens = orjson.dumps({"first_name": f"Lead{n}", "time_zone": zone}).decode()
        yield (
            str(uuid.uuid4()),
            company_id,
            offer_id,
            schedule_id,
            f"+1800{2000000 + n:07d}",
            f"lead{n}@example.com",
            tokens,
            stamp(next(due)),
            now,
            now,
        )


def load(path: Path, rows: Iterator[tuple[Any, ...]]) -> None:
    connection = sqlite3.connect(path, isolation_level=None)
    for pragma in SQLITE_PRAGMAS:
        connection.execute(f"PRAGMA {pragma}")
    while True:
        chunk = [row for _, row in zip(range(BATCH), rows, strict=False)]
        if not chunk:
            break
        connection.execute("BEGIN")
        connection.executemany(
            "INSERT INTO leads (uuid, company_id, offer_id, schedule_id, caller_id, email, tokens,"
            " status, action_index, next_action_at, contact_attempts, calls_placed,"
            " calls_connected, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'scheduled',"
            " 0, ?, 0, 0, 0, ?, ?)",
            chunk,
        )
        connection.execute(INDEX_NEW_LEADS)
        connection.execute("COMMIT")
    connection.close()


def count(path: Path, statement: str) -> int:
    connection = sqlite3.connect(path)
    try:
        return int(connection.execute(statement).fetchone()[0])
    finally:
        connection.close()


async def burst(url: str, settings: Settings) -> tuple[float, float]:
    """Work every due lead as fast as the jobs go; returns the wall and CPU seconds (the
    machine may be shared: CPU seconds say what the work cost whatever else runs)."""
    engine = create_engine(url)
    committer = GroupCommitter(engine)
    async with worker_context(engine, committer, SystemClock(), settings) as context:
        worker = Worker(context, default_jobs())
        started, cpu = time.perf_counter(), time.process_time()
        while await worker.run_once():
            pass
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    await committer.close()
    await engine.dispose()
    return elapsed, cpu


async def steady(url: str, settings: Settings, seconds: float) -> None:
    engine = create_engine(url)
    committer = GroupCommitter(engine)
    async with worker_context(engine, committer, SystemClock(), settings) as context:
        worker = Worker(context, default_jobs())
        worker.start()
        await asyncio.sleep(seconds + 3)
        await worker.stop()
    await committer.close()
    await engine.dispose()


def load_steady(
    path: Path, ids: tuple[int, int, int], first_n: int, total: int, rate: int, zone: str
) -> None:
    """The steady leads, due from 2 s after they are loaded (loading into a big table takes
    seconds) at ``rate``/s; ``created_at`` = due time, which lateness is measured from."""
    first = count(path, "SELECT coalesce(max(id), 0) FROM leads") + 1
    load(path, lead_rows(first_n, total, ids, itertools.repeat(datetime.now(UTC)), zone))
    connection = sqlite3.connect(path)
    start = datetime.now(UTC) + timedelta(seconds=2)
    dues = (stamp(start + timedelta(seconds=i / rate)) for i in range(total))
    update = "UPDATE leads SET next_action_at = ?, created_at = ? WHERE id = ?"
    connection.executemany(update, ((due, due, first + i) for i, due in enumerate(dues)))
    connection.commit()
    connection.close()


def lateness(path: Path, schedule_id: int) -> list[float]:
    connection = sqlite3.connect(path)
    rows = connection.execute(
        "SELECT julianday(m.created_at) - julianday(l.created_at) FROM messages m"
        " JOIN leads l ON l.id = m.lead_id WHERE l.schedule_id = ?",
        (schedule_id,),
    ).fetchall()
    connection.close()
    return sorted(float(days) * 86400 for (days,) in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--rate", type=int, default=1000)
    parser.add_argument("--steady-seconds", type=float, default=30)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument(
        "--database-url", help="a PostgreSQL server to bench on (its database is written)"
    )
    parser.add_argument(
        "--postgres", action="store_true", help="bench PostgreSQL on a throwaway cluster"
    )
    parser.add_argument("--workers", type=int, default=2, help="PostgreSQL worker processes")
    args = parser.parse_args()
    if args.database_url or args.postgres:
        from bench.cadence_postgres import postgres  # it builds on this module's leads

        postgres(args)
        return

    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "cadence.db"
        url = f"sqlite:///{path}"
        upgrade(url)
        company_id, offer_id, burst_schedule, steady_schedule = asyncio.run(setup(url))
        zone = noon_zone(datetime.now(UTC))
        settings = Settings(
            database_url=url, worker_batch_size=args.batch, worker_poll_seconds=0.02
        )

        started = time.perf_counter()
        now = datetime.now(UTC)
        load(
            path,
            lead_rows(
                0, args.leads, (company_id, offer_id, burst_schedule), iter(lambda: now, None), zone
            ),
        )
        print(f"loaded {args.leads:,} due leads in {time.perf_counter() - started:.1f} s")

        with Steal() as steal:
            elapsed, cpu = asyncio.run(burst(url, settings))
        actions = count(
            path, "SELECT (SELECT count(*) FROM messages) + (SELECT count(*) FROM calls)"
        )
        print(
            f"burst: {actions:,} actions (text, e-mail, call per lead) in {elapsed:.1f} s"
            f" = {actions / elapsed:,.0f} actions/s ({cpu:.1f} CPU s:"
            f" {actions / cpu:,.0f} actions per CPU second; load average"
            f" {os.getloadavg()[0]:.1f}; {steal})"
        )

        ids = (company_id, offer_id, steady_schedule)
        load_steady(path, ids, args.leads, int(args.rate * args.steady_seconds), args.rate, zone)
        with Steal() as steal:
            asyncio.run(steady(url, settings, args.steady_seconds + 2))
        late = lateness(path, steady_schedule)
        p50 = statistics.median(late)
        p99 = late[int(len(late) * 0.99) - 1]
        print(
            f"steady {args.rate:,}/s for {args.steady_seconds:.0f} s: {len(late):,} texts,"
            f" lateness p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms; {steal}"
        )

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {peak:.0f} MB")


if __name__ == "__main__":
    main()
