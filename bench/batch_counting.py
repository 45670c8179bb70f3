"""What counting a new lead for the reports costs a batch insert on SQLite, in one run.

Inserts the same batches of leads (``--batches`` of ``--size``, created within one hour, over
``--states`` states and ``--sub-ids`` sub IDs (0: none), as intake's group commit and imports
insert them) into three fresh
databases, in turns, and prints the CPU time of the insert and its commit per lead:

- **row triggers**: a plain ``executemany`` of the leads, so every lead runs the insert
  triggers (the company's lead count, migration 0003; the report queue, migration 0022), as
  a lead inserted alone does;
- **batch, row by row**: ``insert_leads`` as it was until 2026-12-08, its rows sent with
  one ``executemany``: SQLite ran the insert once a row, each run with a statement journal
  (the table has triggers) that every page the row changed was copied to first;
- **batch**: ``leads.repository.insert_leads``, which counts the batch in the lead count and
  queues its ids once (migrations 0019 and 0022), its rows sent as statements of many rows
  (``db.statements.values_inserts``), as intake and imports do now;
- **no counting**: the report and lead-count triggers dropped, a plain ``executemany``.

Then, for the first two, the worker's part: the fold that counts the queued leads into the
report counters (``leadflow.reports.pending.fold_all``, 5,000 leads a transaction), CPU per lead.

In process, CPU time rather than wall time: the figure is what the code costs, whatever else
the machine runs.

    .venv/bin/python -m bench.batch_counting [--batches 300] [--size 64] [--states 20]
                                             [--sub-ids 0]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sqlite3
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from leadflow.db.engine import create_engine, make_sessionmaker
from leadflow.db.migrate import upgrade
from leadflow.db.statements import SqliteSql
from leadflow.demo import create_company_now
from leadflow.leads import repository
from leadflow.models import Offer
from leadflow.reports import pending

STATES = tuple(f"S{n:02d}" for n in range(50))
"""Distinct state tokens: each a counter key of its own."""
NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
Insert = Callable[[sqlite3.Connection, list[dict[str, Any]]], None]


async def _database(path: Path) -> tuple[int, int]:
    """A migrated database with a company and an offer; their ids."""
    url = f"sqlite:///{path}"
    upgrade(url)
    company = (await create_company_now(url, "Bench counting")).company.id
    engine = create_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            offer = Offer(
                company_id=company, name="Bench", leads_api_key="k", created_at=NOW, updated_at=NOW
            )
            session.add(offer)
            await session.commit()
            return company, offer.id
    finally:
        await engine.dispose()


def _leads(
    company: int, offer: int, batch: int, size: int, states: int, sub_ids: int
) -> list[dict[str, Any]]:
    rng = random.Random(batch)
    rows = []
    for n in range(size):
        number = batch * size + n + 1
        at = NOW.replace(minute=batch % 60).strftime("%Y-%m-%d %H:%M:%S.%f")
        rows.append(
            {
                "id": number,
                "uuid": f"bench-{number}",
                "company_id": company,
                "offer_id": offer,
                "caller_id": f"+1719{number:07d}",
                "status": "scheduled",
                "tokens": json.dumps({"first_name": "Ann", "state": rng.choice(STATES[:states])}),
                "created_at": at,
                "updated_at": at,
                "action_index": 0,
                "contact_attempts": 0,
                "calls_placed": 0,
                "calls_connected": 0,
                "sub_id": f"sub-{rng.randrange(sub_ids)}" if sub_ids else None,
            }
        )
    return rows


def _plain(connection: sqlite3.Connection, leads: list[dict[str, Any]]) -> None:
    columns = ", ".join(leads[0])
    values = ", ".join(f":{name}" for name in leads[0])
    connection.executemany(f"INSERT INTO leads ({columns}) VALUES ({values})", leads)


def _batch(connection: sqlite3.Connection, leads: list[dict[str, Any]]) -> None:
    repository.insert_leads(SqliteSql(connection), leads)


class _RowByRowSql(SqliteSql):
    """``SqliteSql`` whose ``many`` is a plain ``executemany``, as it was until 2026-12-08."""

    def many(self, statement: str, rows: Sequence[dict[str, Any]]) -> None:
        self.connection.executemany(statement, rows)  # the bench's values are plain already


def _batch_row_by_row(connection: sqlite3.Connection, leads: list[dict[str, Any]]) -> None:
    repository.insert_leads(_RowByRowSql(connection), leads)


def _drop_counting(connection: sqlite3.Connection) -> None:
    found = connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' "
        "AND (name LIKE 'report%' OR name LIKE 'leads_count%')"
    ).fetchall()
    for (name,) in found:
        connection.execute(f"DROP TRIGGER {name}")


async def _fold(path: Path) -> float:
    """CPU seconds the fold of every queued lead takes, a transaction per batch of 5,000."""
    engine = create_engine(f"sqlite:///{path}", 1)
    try:
        started = time.process_time()
        await pending.fold_all(engine)
        return time.process_time() - started
    finally:
        await engine.dispose()


def measure(
    directory: Path,
    name: str,
    insert: Insert,
    batches: int,
    size: int,
    states: int,
    sub_ids: int = 0,
) -> tuple[float, float]:
    """CPU µs per lead of ``insert`` and the commit, over every batch; then of the fold."""
    path = directory / f"{name.replace(' ', '_')}.db"
    company, offer = asyncio.run(_database(path))
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA synchronous=NORMAL")
    if name == "no counting":
        _drop_counting(connection)
    spent = 0.0
    try:
        for batch in range(batches):
            leads = _leads(company, offer, batch, size, states, sub_ids)
            started = time.process_time()
            connection.execute("BEGIN IMMEDIATE")
            insert(connection, leads)
            connection.execute("COMMIT")
            spent += time.process_time() - started
    finally:
        connection.close()
    folding = asyncio.run(_fold(path))
    connection = sqlite3.connect(path)
    try:
        counted = connection.execute("SELECT coalesce(sum(leads), 0) FROM report_counters")
        expected = 0 if name == "no counting" else batches * size
        assert counted.fetchone()[0] == expected, name
    finally:
        connection.close()
    total = batches * size
    return spent / total * 1e6, folding / total * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=300)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--states", type=int, default=20, choices=range(1, len(STATES) + 1))
    parser.add_argument("--sub-ids", type=int, default=0, help="distinct sub IDs (0: none)")
    parser.add_argument("--turns", type=int, default=3)
    args = parser.parse_args()
    ways: dict[str, Insert] = {
        "row triggers": _plain,
        "batch, row by row": _batch_row_by_row,
        "batch": _batch,
        "no counting": _plain,
    }
    spent: dict[str, list[float]] = {name: [] for name in ways}
    folds: dict[str, list[float]] = {name: [] for name in ways}
    for _turn in range(args.turns):
        for name, insert in ways.items():
            with tempfile.TemporaryDirectory(prefix="leadflow-bench-") as directory:
                figure = measure(
                    Path(directory),
                    name,
                    insert,
                    args.batches,
                    args.size,
                    args.states,
                    args.sub_ids,
                )
                spent[name].append(figure[0])
                folds[name].append(figure[1])
    print(
        f"\n== {args.batches} batches of {args.size} leads, {args.states} states, "
        f"{args.sub_ids or 'no'} sub IDs, one hour, "
        f"SQLite, CPU per lead (insert and commit), {args.turns} turns"
    )
    for name, figures in spent.items():
        each = ", ".join(f"{figure:.1f}" for figure in figures)
        print(f"{name:<17} median {sorted(figures)[len(figures) // 2]:6.1f} µs   ({each})")
    for name in ("row triggers", "batch"):
        each = ", ".join(f"{figure:.1f}" for figure in folds[name])
        middle = sorted(folds[name])[len(folds[name]) // 2]
        print(f"fold after {name:<13} median {middle:6.1f} µs a lead, in the worker   ({each})")


if __name__ == "__main__":
    main()
