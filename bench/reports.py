"""Reports at scale: ``GET /api/v1/reports``'s work (counters summed and shaped by the reports
service) against the same questions asked straight of the raw tables, in one run.

Bulk-loads N leads (default 10,000,000; ``--leads`` or ``LEADFLOW_BENCH_REPORT_LEADS``) over 90
days, 200 traffic sources and 5,000 sub IDs (25 of each source's own, as a publisher tags its
placements; ``--independent-sub-ids`` draws any of the 5,000 under any source, a million
pairs), a call for every third lead (revenue, payout) and a LeadSail submission for every tenth
(delivered, rejected, disqualified, duplicate or error, to one of ten buyers),
in batches inserted as intake's and imports' are (``leads.repository.insert_leads``, each
batch then folded into the counters as the worker folds them; the calls by a plain multi-row
INSERT, whose triggers count each row), then times, ``--runs``
times each, and prints medians of:

- ``group_by=traffic_source,sub_id`` over the last 30 days (leads, calls, revenue), and
- ``group_by=day`` over 90 days,

as ``GET /api/v1/reports`` answers its first page of JSON, then from the raw tables (a GROUP
BY over leads and calls). SQLite, and PostgreSQL when its server binaries are installed
(``--skip-postgres`` to leave it out; ``--skip-sqlite`` the other).

    .venv/bin/python -m bench.reports [--leads 10000000] [--runs 7] [--independent-sub-ids]
                                      [--database FILE] [--skip-postgres | --skip-sqlite]
                                      [--postgres-url URL]
                                      [--intake-seconds 40 [--intake-rounds 5] [--intake-only]]

``--intake-seconds`` also runs ``bench.intake``'s lead post against two SQLite servers side by
side, with the report triggers and without, and prints their ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from statistics import median
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.intake import postgres_url
from bench.report_intake import intake_with_and_without_counters
from leadflow.db.engine import create_engine, create_read_engine, make_sessionmaker
from leadflow.db.migrate import upgrade
from leadflow.db.statements import ConnectionSql
from leadflow.demo import create_company_now
from leadflow.leads.repository import insert_leads
from leadflow.models import Campaign, Offer, TrafficSource
from leadflow.reports import service
from leadflow.reports.counts_repository import fold_pending
from leadflow.reports.repository import ReportRepository, hour_sql
from leadflow.reports.schemas import parse_query

SOURCES = 200
SUB_IDS = 5_000
PER_SOURCE = SUB_IDS // SOURCES
DAYS = 90
BATCH = 2_000
NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
SUBMISSION_EVERY = 10
OUTCOMES = ("delivered", "rejected", "disqualified", "duplicate", "error")
BUYERS = tuple(f"https://buyer{n}.example/leads" for n in range(10))
TABLES = ("report_counters", "report_totals", "report_source_blocks")
COMPANY = "Bench reports"


def _stamp(dialect: str, moment: datetime) -> Any:
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f") if dialect == "sqlite" else moment


def _insert_batch(connection: Connection, rows: list[dict[str, Any]]) -> None:
    insert_leads(ConnectionSql(connection), rows)


async def load(engine: AsyncEngine, company: int, leads: int, independent: bool) -> float:
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
        campaign = Campaign(
            company_id=company, name="Bench", code="bench", created_at=NOW, updated_at=NOW
        )
        session.add_all([made, campaign, *sources])
        await session.commit()
        offer, source_ids, campaign_id = made.id, [source.id for source in sources], campaign.id
    done = 0
    while done < leads:
        size = min(BATCH, leads - done)
        rows = []
        for i in range(size):
            at = NOW - timedelta(seconds=rng.randrange(DAYS * 86400))
            source = rng.randrange(SOURCES)
            sub = (
                rng.randrange(SUB_IDS)
                if independent
                else source * PER_SOURCE + rng.randrange(PER_SOURCE)
            )
            rows.append(
                {
                    "uuid": f"bench-{done + i}",
                    "company_id": company,
                    "offer_id": offer,
                    "traffic_source_id": source_ids[source],
                    "sub_id": f"sub-{sub}",
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
            # A fresh database's single writer: this batch's ids follow the last one.
            last = int(await conn.scalar(text("SELECT coalesce(max(id), 0) FROM leads")) or 0)
            for i, row in enumerate(rows):
                row["id"] = last + 1 + i
            # As intake and imports insert a batch (queued for the counters, migration 0022),
            # then folded into the counters as the worker folds the queue.
            await conn.run_sync(_insert_batch, rows)
            await fold_pending(conn, BATCH)
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
            await _insert(conn, "calls", calls)
            await _submit(conn, company, campaign_id, rows, rng)
        done += size
        if done % (BATCH * 50) == 0:
            print(f"  loaded {done:,} leads ({time.perf_counter() - started:.0f} s)", flush=True)
    return time.perf_counter() - started


async def _insert(conn: Any, table: str, rows: list[dict[str, Any]]) -> None:
    """A plain multi-row INSERT, whose row triggers count each row."""
    if rows:
        names = ", ".join(rows[0])
        params = ", ".join(f":{name}" for name in rows[0])
        await conn.execute(text(f"INSERT INTO {table} ({names}) VALUES ({params})"), rows)


async def _submit(
    conn: Any,
    company: int,
    campaign: int,
    leads: list[dict[str, Any]],
    rng: random.Random,
) -> None:
    """A submitted lead and its submission for every tenth lead of the batch, made when it was."""
    chosen = [lead for lead in leads if lead["id"] % SUBMISSION_EVERY == 0]
    if not chosen:
        return
    last = int(await conn.scalar(text("SELECT coalesce(max(id), 0) FROM submitted_leads")) or 0)
    people, submissions = [], []
    for n, lead in enumerate(chosen, start=last + 1):
        at, status = lead["created_at"], rng.choice(OUTCOMES)
        data = json.dumps({"address": {"state": rng.choice(("TX", "FL", "CA", "NY"))}})
        common = {"company_id": company, "campaign_id": campaign, "status": status, "data": data}
        people.append(
            {"id": n, "uuid": f"bench-sub-{n}", **common, "is_test": False,
             "pixels_fired": "[]", "created_at": at, "updated_at": at}
        )  # fmt: skip
        delivery = {"url": rng.choice(BUYERS)}
        submissions.append(
            {"uuid": f"bench-trip-{n}", "lead_id": n, **common, "number": 1,
             "type": "original", "steps": "[]", "qualification": "{}", "routing": "{}",
             "delivery": json.dumps(delivery), "attempts": 1, "created_at": at,
             "updated_at": at}
        )  # fmt: skip
    await _insert(conn, "submitted_leads", people)
    await _insert(conn, "submissions", submissions)


async def timed(runs: int, work: Any) -> float:
    """Median milliseconds of ``runs`` runs of ``work()``."""
    spent = []
    for _ in range(runs):
        started = time.perf_counter()
        await work()
        spent.append((time.perf_counter() - started) * 1000)
    return median(spent)


async def _loaded_company(engine: AsyncEngine) -> int | None:
    """The company an earlier run of the bench loaded into this database, if any."""
    async with engine.connect() as conn:
        found = await conn.scalar(
            text("SELECT id FROM companies WHERE name = :name"), {"name": COMPANY}
        )
    return None if found is None else int(found)


async def measure(
    database_url: str, leads: int, runs: int, independent: bool = False
) -> dict[str, float]:
    """Load (unless an earlier run of the bench loaded this database: ``--database``), then
    time the reports and the raw questions."""
    upgrade(database_url)
    engine = create_engine(database_url, 2)
    dialect = engine.dialect.name
    figures: dict[str, float] = {}
    reader: AsyncEngine | None = None
    try:
        company = await _loaded_company(engine)
        if company is None:
            company = (await create_company_now(database_url, COMPANY)).company.id
            figures["load_s"] = await load(engine, company, leads, independent)
        # The API's reads: on SQLite read-only connections of their own (app.py).
        reader = create_read_engine(database_url)
        sessionmaker = make_sessionmaker(reader or engine)
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
                # What GET /api/v1/reports does for its first page of JSON.
                async with sessionmaker() as session:
                    repo = ReportRepository(session, company)
                    if service.pageable_in_sql(q):
                        built = await service.build_page(repo, q)
                    else:
                        built = await service.build(repo, q)
                    built.page(1, 100)

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
            for table in TABLES:
                figures[f"{table} rows"] = float(
                    await conn.scalar(text(f"SELECT count(*) FROM {table}")) or 0
                )
    finally:
        if reader is not None:
            await reader.dispose()
        await engine.dispose()
    return figures


def report(engine: str, leads: int, figures: dict[str, float]) -> None:
    print(f"\n== {engine}, {leads:,} leads (a call for every third, a submission every tenth)")
    if "load_s" in figures:
        print(f"bulk load, counters kept as intake keeps them: {figures.pop('load_s'):.0f} s")
    else:
        print("loaded by an earlier run (--database)")
    for table in TABLES:
        print(f"{table} rows: {figures.pop(f'{table} rows'):,.0f}")
    for name, value in figures.items():
        print(f"{name:<40} median {value:9.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = int(os.environ.get("LEADFLOW_BENCH_REPORT_LEADS", "10000000"))
    parser.add_argument("--leads", type=int, default=default)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument(
        "--independent-sub-ids",
        action="store_true",
        help="any sub ID under any traffic source (about as many groups as leads)",
    )
    parser.add_argument(
        "--database",
        type=Path,
        default=None,
        help="a SQLite file kept after the run; one an earlier run loaded is timed again, "
        "not loaded again (after a code or migration change: an hour saved at 10M leads)",
    )
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument(
        "--postgres-url",
        default=None,
        help="a running server to use (a fresh database on it) instead of starting one",
    )
    parser.add_argument(
        "--intake-seconds",
        type=int,
        default=0,
        help="also time bench.intake's lead post with and without the counters (0: no)",
    )
    parser.add_argument("--intake-rounds", type=int, default=5)
    parser.add_argument("--intake-only", action="store_true")
    args = parser.parse_args()
    if args.intake_seconds:
        intake_with_and_without_counters(args.intake_seconds, args.intake_rounds, 32)
    if args.intake_only:
        return
    if not args.skip_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            path = args.database or Path(tmp) / "reports.db"
            url = f"sqlite:///{path}"
            report(
                "SQLite",
                args.leads,
                asyncio.run(measure(url, args.leads, args.runs, args.independent_sub_ids)),
            )
    if args.skip_postgres:
        return
    found = postgres_url(args.postgres_url)
    if found is not None:
        pg_url, cluster = found
        try:
            figures = asyncio.run(measure(pg_url, args.leads, args.runs, args.independent_sub_ids))
            report("PostgreSQL", args.leads, figures)
        finally:
            if cluster is not None:
                cluster.stop()  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
