"""Lead listing speed at a million leads, on SQLite.

Bulk-loads 1,000,000 leads (raw sqlite3, big transactions, in the storage format the ORM reads:
JSON text, ``YYYY-MM-DD HH:MM:SS.ffffff`` UTC timestamps) into a migrated database, its leads
indexed for full text by the statement that ends intake's transactions. Then times, in one run,
the three listings issue 3 names and prints their medians:

- ``?fulltext=<a caller id>`` (page mode, with ``total_count``),
- ``?order=created_at&order_dir=desc&page=2000`` (with ``total_count``),
- cursor paging from ``cursor=-1``, following ``next_cursor``, per page.

It measures the query layer: each listing goes through ``leadflow.kit.listing`` (parameter
parsing, plan, SQL, rows shaped by a serializer) on the application's own engine, in process,
with the lead spec ``GET /api/v1/leads`` itself uses (its default ``lead`` shape, contact
flags and assigned numbers included), so only HTTP and authentication are left out.

    .venv/bin/python -m bench.listing [--leads 1000000] [--database PATH] [--repeat 15]

``--database`` keeps the loaded file, and reuses it when it already holds the leads.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from leadflow.clock import SystemClock
from leadflow.companies.repository import CompanyRepository
from leadflow.companies.service import create_company
from leadflow.db.engine import create_engine
from leadflow.db.migrate import upgrade
from leadflow.db.search_index import INDEX_NEW_LEADS
from leadflow.db.statements import SQLITE_TIME_FORMAT
from leadflow.kit.listing import (
    ListPage,
    ListQuery,
    fetch,
    list_query,
    plan,
    statements,
)
from leadflow.leads.records.listing import LEAD_LISTING
from leadflow.leads.records.repository import LeadRecordRepository
from leadflow.models import Lead, Offer

BATCH = 50_000
AREA_CODES = ("212", "303", "415", "512", "719", "801", "919", "305", "617", "206")
FIRST = ("James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Luis", "Priya", "Chen")
LAST = ("Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Lee")
STATES = ("CO", "NY", "CA", "TX", "FL", "WA", "MA", "UT", "NC")
START = datetime(2025, 1, 1, tzinfo=UTC)


LEADS = LEAD_LISTING


def caller_id(rng: random.Random) -> str:
    exchange = rng.randint(200, 999)
    return f"+1{rng.choice(AREA_CODES)}{exchange}{rng.randint(0, 9999):04d}"


def lead_rows(count: int, company_id: int, offer_id: int) -> Iterator[tuple[Any, ...]]:
    """Leads created one every few seconds over the last months, oldest first."""
    rng = random.Random(7)
    for n in range(count):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        created = (START + timedelta(seconds=n * 7)).replace(tzinfo=None)
        stamp = created.strftime(SQLITE_TIME_FORMAT)
        tokens = {
            "first_name": first,
            "last_name": last,
            "state": rng.choice(STATES),
            "zip": f"{rng.randint(10000, 99999)}",
            "address": f"{rng.randint(1, 9999)} {rng.choice(LAST)} St",
        }
        yield (
            company_id,
            offer_id,
            caller_id(rng),
            f"{first.lower()}.{last.lower()}{n}@example.com",
            f"sub{n % 300}",
            "scheduled",
            orjson.dumps(tokens).decode(),
            0,
            0,
            0,
            0,
            str(uuid.uuid4()),
            stamp,
            stamp,
        )


INSERT = (
    "INSERT INTO leads (company_id, offer_id, caller_id, email, sub_id, status, tokens,"
    " action_index, contact_attempts, calls_placed, calls_connected, uuid, created_at,"
    " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


async def company_and_offer(url: str) -> tuple[int, int]:
    engine = create_engine(url)
    try:
        async with AsyncSession(engine) as session:
            made = await create_company(CompanyRepository(session), SystemClock(), "Bench")
            now = datetime.now(UTC)
            offer = Offer(
                company_id=made.company.id,
                name="Bench offer",
                leads_api_key=uuid.uuid4().hex,
                created_at=now,
                updated_at=now,
            )
            session.add(offer)
            await session.flush()
            ids = made.company.id, offer.id
            await session.commit()
            return ids
    finally:
        await engine.dispose()


def load(path: Path, count: int) -> int:
    """Migrate, make a company, and insert ``count`` leads; returns the company id."""
    url = f"sqlite:///{path}"
    upgrade(url)
    company_id, offer_id = asyncio.run(company_and_offer(url))
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    # Room for the random-uuid unique index, which otherwise costs a page read per insert.
    connection.execute("PRAGMA cache_size=-400000")
    rows = lead_rows(count, company_id, offer_id)
    started = time.perf_counter()
    loaded = 0
    while loaded < count:
        batch = [row for _, row in zip(range(BATCH), rows, strict=False)]
        connection.execute("BEGIN")
        connection.executemany(INSERT, batch)
        connection.execute(INDEX_NEW_LEADS)
        connection.execute("COMMIT")
        loaded += len(batch)
        print(f"\r  loaded {loaded:,} leads", end="", flush=True)
    print(f" in {time.perf_counter() - started:.0f} s")
    connection.close()
    return company_id


def existing(path: Path, count: int) -> int | None:
    if not path.exists():
        return None
    connection = sqlite3.connect(path)
    try:
        found = connection.execute("SELECT count(*), max(company_id) FROM leads").fetchone()
    except sqlite3.OperationalError:
        return None
    finally:
        connection.close()
    return int(found[1]) if found[0] >= count else None


def sample_caller_id(path: Path) -> str:
    connection = sqlite3.connect(path)
    try:
        row = connection.execute(
            "SELECT caller_id FROM leads WHERE id = 777777 % (SELECT max(id) FROM leads) + 1"
        ).fetchone()
        return str(row[0])
    finally:
        connection.close()


async def timed(repeat: int, run: Callable[[], Awaitable[Any]]) -> list[float]:
    await run()  # warm the page cache and statement caches
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        await run()
        timings.append((time.perf_counter() - started) * 1000)
    return timings


async def measure(path: Path, company_id: int, repeat: int) -> list[tuple[str, list[float]]]:
    engine = create_engine(f"sqlite:///{path}")
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    base = select(Lead).where(Lead.company_id == company_id)
    searched = sample_caller_id(path)

    async def listing(query: ListQuery) -> ListPage:
        """As ``GET /api/v1/leads`` lists: the same spec, scope and kept total."""
        async with sessions() as session:
            repo = LeadRecordRepository(session, company_id)
            return await fetch(session, LEADS, query, base, kept_total=repo.kept_count)

    async def by_caller() -> None:
        page = await listing(list_query(fulltext=searched.removeprefix("+1")))
        assert page.metadata["total_count"] >= 1, "the searched caller ID was not found"

    async def deep_page() -> None:
        page = await listing(list_query(order="created_at", order_dir="desc", page=2000))
        assert len(page.items) == 25

    pages: list[float] = []

    async def cursor_walk() -> None:
        cursor = -1
        for _ in range(repeat * 4):
            started = time.perf_counter()
            page = await listing(list_query(cursor=cursor, per_page=100))
            pages.append((time.perf_counter() - started) * 1000)
            cursor = page.metadata["next_cursor"]

    deep = list_query(order="created_at", order_dir="desc", page=2000)
    counting = statements(LEADS, plan(LEADS, deep), base, dialect="sqlite").count

    async def total_count() -> None:
        async with sessions() as session:
            await session.execute(counting)  # type: ignore[arg-type]

    results = [
        (f"fulltext={searched.removeprefix('+1')}", await timed(repeat, by_caller)),
        ("order=created_at&order_dir=desc&page=2000", await timed(repeat, deep_page)),
        ("  counting its total instead (filtered lists do)", await timed(repeat, total_count)),
    ]
    await cursor_walk()
    results.append(("cursor paging, per_page=100 (per page)", pages))
    await engine.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--database", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="leadflow-bench-") as directory:
        path = args.database or Path(directory) / "listing.db"
        company_id = existing(path, args.leads)
        if company_id is None:
            path.unlink(missing_ok=True)
            print(f"Loading {args.leads:,} leads into {path}")
            company_id = load(path, args.leads)
        print(f"SQLite, {args.leads:,} leads, medians of {args.repeat} runs (target < 50 ms):")
        for name, timings in asyncio.run(measure(path, company_id, args.repeat)):
            print(
                f"  {name:<45} {statistics.median(timings):8.2f} ms"
                f"  (min {min(timings):.2f}, max {max(timings):.2f})"
            )


if __name__ == "__main__":
    main()
