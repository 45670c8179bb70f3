"""Reports at scale: ``GET /api/v1/reports``'s work (counters summed and shaped by the reports
service) against the same questions asked straight of the raw tables, in one run.

Bulk-loads N leads (default 10,000,000; ``--leads`` or ``LEADFLOW_BENCH_REPORT_LEADS``) over 90
days, 200 traffic sources and 5,000 sub IDs, a call for every third lead (revenue, payout),
by plain multi-row INSERTs (the counters' triggers fire on every row, as in production),
then times, ``--runs`` times each, and prints medians of:

- ``group_by=traffic_source,sub_id`` over the last 30 days (leads, calls, revenue), and
- ``group_by=day`` over 90 days,

from the counters, then from the raw tables (a GROUP BY over leads and calls). SQLite, and
PostgreSQL when its server binaries are installed (``--skip-postgres`` to leave it out).

    .venv/bin/python -m bench.reports [--leads 10000000] [--runs 7] [--skip-postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from statistics import median
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.intake import postgres_url
from leadflow.db.engine import create_engine
from leadflow.db.migrate import upgrade
from leadflow.db.session import make_sessionmaker
from leadflow.demo import create_company_now
from leadflow.models import Offer, TrafficSource
from leadflow.reports import service
from leadflow.reports.repository import ReportRepository, hour_sql
from leadflow.reports.schemas import parse_query

SOURCES = 200
SUB_IDS = 5_000
DAYS = 90
BATCH = 2_000
NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


def _stamp(dialect: str, moment: datetime) -> Any:
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f") if dialect == "sqlite" else moment


async def load(engine: AsyncEngine, company: int, leads: int) -> float:
    """Rows in batches; seconds taken."""
    dialect = engine.dialect.name
    rng = random.Random(7)
    started = time.perf_counter()
    async with make_sessionmaker(engine)() as session:
        # Through the ORM: its defaults fill the columns a report does not read.
        made = Offer(
            company_id=company,
            name="Bench",
            leads_api_key="benchkey",
            created_at=NOW,
            updated_at=NOW,
        )
        sources = [
            TrafficSource(company_id=company, name=f"Source {n}", created_at=NOW, updated_at=NOW)
            for n in range(SOURCES)
        ]
        session.add_all([made, *sources])
        await session.commit()
        offer, source_ids = made.id, [source.id for source in sources]
    done = 0
    while done < leads:
        size = min(BATCH, leads - done)
        rows = []
        for i in range(size):
            at = NOW - timedelta(seconds=rng.randrange(DAYS * 86400))
            rows.append(
                {
                    "uuid": f"bench-{done + i}",
                    "company_id": company,
                    "offer_id": offer,
                    "traffic_source_id": rng.choice(source_ids),
                    "sub_id": f"sub-{rng.randrange(SUB_IDS)}",
                    "caller_id": f"+1719{done + i:07d}",
                    "status": "scheduled",
                    "tokens": "{}",
                    "action_index": 0,
                    "contact_attempts": 0,
                    "calls_placed": 0,
                    "calls_connected": 0,
                    "created_at": _stamp(dialect, at),
                    "updated_at": _stamp(dialect, at),
                }
            )
        async with engine.begin() as conn:
            columns = ", ".join(rows[0])
            values = ", ".join(f":{name}" for name in rows[0])
            # A fresh database's single writer: this batch's ids follow the last one.
            last = int(await conn.scalar(text("SELECT coalesce(max(id), 0) FROM leads")) or 0)
            await conn.execute(text(f"INSERT INTO leads ({columns}) VALUES ({values})"), rows)
            calls = [
                {
                    "uuid": f"bench-call-{done + i}",
                    "company_id": company,
                    "offer_id": offer,
                    "traffic_source_id": row["traffic_source_id"],
                    "to_number": row["caller_id"],
                    "status": "completed",
                    "direction": "outbound",
                    "tokens": "{}",
                    "post_call_tokens": "{}",
                    "is_callback": False,
                    "buyer_converted": False,
                    "offer_converted": False,
                    "revenue_cents": rng.randrange(0, 5000),
                    "payout_cents": rng.randrange(0, 2000),
                    "created_at": row["created_at"],
                    "updated_at": row["created_at"],
                    "lead_id": last + 1 + i,
                }
                for i, row in enumerate(rows)
                if i % 3 == 0
            ]
            if calls:
                names = ", ".join(calls[0])
                params = ", ".join(f":{name}" for name in calls[0])
                await conn.execute(text(f"INSERT INTO calls ({names}) VALUES ({params})"), calls)
        done += size
        if done % (BATCH * 50) == 0:
            print(f"  loaded {done:,} leads ({time.perf_counter() - started:.0f} s)", flush=True)
    return time.perf_counter() - started


async def timed(runs: int, work: Any) -> float:
    """Median milliseconds of ``runs`` runs of ``work()``."""
    spent = []
    for _ in range(runs):
        started = time.perf_counter()
        await work()
        spent.append((time.perf_counter() - started) * 1000)
    return median(spent)


async def measure(database_url: str, leads: int, runs: int) -> dict[str, float]:
    upgrade(database_url)
    company = (await create_company_now(database_url, "Bench reports")).company.id
    engine = create_engine(database_url, 2)
    dialect = engine.dialect.name
    figures: dict[str, float] = {}
    try:
        figures["load_s"] = await load(engine, company, leads)
        sessionmaker = make_sessionmaker(engine)
        zone = service.company_zone("America/New_York")
        month_ago = (NOW - timedelta(days=29)).date().isoformat()
        quarter_ago = (NOW - timedelta(days=DAYS)).date().isoformat()
        today = NOW.date().isoformat()
        questions = {
            "traffic_source,sub_id 30 d": [
                ("from", month_ago),
                ("to", today),
                ("group_by", "traffic_source,sub_id"),
                ("metrics", "leads,calls,revenue"),
            ],
            "day 90 d": [
                ("from", quarter_ago),
                ("to", today),
                ("group_by", "day"),
                ("metrics", "leads,calls,revenue"),
            ],
        }
        for name, params in questions.items():
            query = parse_query(params, zone, NOW)

            async def report(q: Any = query) -> None:
                async with sessionmaker() as session:
                    await service.build(ReportRepository(session, company), q)

            figures[f"counters {name}"] = await timed(runs, report)
        since30 = _stamp(dialect, NOW - timedelta(days=30))
        since90 = _stamp(dialect, NOW - timedelta(days=DAYS + 1))
        day = hour_sql(dialect, "l.created_at")
        raw = {
            "traffic_source,sub_id 30 d": (
                "SELECT l.traffic_source_id, l.sub_id, count(*), count(c.id), "
                "sum(c.revenue_cents) FROM leads l LEFT JOIN calls c ON c.lead_id = l.id "
                "WHERE l.company_id = :c AND l.created_at >= :s "
                "GROUP BY l.traffic_source_id, l.sub_id",
                since30,
            ),
            "day 90 d": (
                f"SELECT {day}, count(*) FROM leads l WHERE l.company_id = :c "
                f"AND l.created_at >= :s GROUP BY {day}",
                since90,
            ),
        }
        for name, (statement, since) in raw.items():

            async def straight(sql: str = statement, s: Any = since) -> None:
                async with engine.connect() as conn:
                    (await conn.execute(text(sql), {"c": company, "s": s})).all()

            figures[f"raw tables {name}"] = await timed(max(1, runs // 2), straight)
        async with engine.connect() as conn:
            figures["counter rows"] = float(
                await conn.scalar(text("SELECT count(*) FROM report_counters")) or 0
            )
    finally:
        await engine.dispose()
    return figures


def report(engine: str, leads: int, figures: dict[str, float]) -> None:
    print(f"\n== {engine}, {leads:,} leads (a call for every third)")
    print(f"bulk load with counters kept by triggers: {figures.pop('load_s'):.0f} s")
    print(f"counter rows: {figures.pop('counter rows'):,.0f}")
    for name, value in figures.items():
        print(f"{name:<40} median {value:9.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = int(os.environ.get("LEADFLOW_BENCH_REPORT_LEADS", "10000000"))
    parser.add_argument("--leads", type=int, default=default)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/reports.db"
        report("SQLite", args.leads, asyncio.run(measure(url, args.leads, args.runs)))
    if not args.skip_postgres:
        found = postgres_url()
        if found is not None:
            pg_url, cluster = found
            try:
                report(
                    "PostgreSQL", args.leads, asyncio.run(measure(pg_url, args.leads, args.runs))
                )
            finally:
                cluster.stop()  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
