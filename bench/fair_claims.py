"""What sharing the worker's claim among companies costs, on SQLite, in one run.

Loads ``--backlog`` leads due at once for one company (an import into a schedule that calls)
and ``--each`` leads due for each of ``--others`` more companies, posted a moment later. Then
claims ``--limit`` leads again and again (read only: the claim's own query, on the worker's
snapshot connection, as ``cadence.job`` plans a round), both ways, in turns:

- **oldest first**, the claim until 2026-12-08 (one query over ``ix_leads_due``, which migration
  0024 replaced; the bench builds it back for this, and names it in the query, as the only
  index the old query had to go on);
- **fair**, ``cadence.repository.due_lead_rows`` (``claimed``: the companies with leads due,
  each a share, and within it each running schedule, over ``ix_leads_schedule_due``).

Prints milliseconds a claim and how many of the other companies' leads each claim took. With
``--paused`` the backlog's schedule is paused first: its leads stay due, and no claim may take
them.

    .venv/bin/python -m bench.fair_claims [--backlog 200000] [--others 9] [--each 5] [--paused]
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.cadence import lead_rows, load, noon_zone, setup
from leadflow.cadence.repository import LEAD_COLUMNS, due_lead_rows
from leadflow.db.migrate import upgrade
from leadflow.db.statements import sqlite_time

OLDEST_FIRST = (
    f"SELECT {LEAD_COLUMNS} FROM leads INDEXED BY ix_leads_due WHERE next_action_at <= :now"
    " AND schedule_id IN (SELECT id FROM schedules WHERE NOT paused)"
    " ORDER BY next_action_at LIMIT :limit"
)


def _timed(claim: Callable[[], list[Any]], turns: int) -> float:
    started = time.perf_counter()
    for _ in range(turns):
        claim()
    return (time.perf_counter() - started) / turns * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backlog", type=int, default=200_000)
    parser.add_argument("--others", type=int, default=9)
    parser.add_argument("--each", type=int, default=5)
    parser.add_argument("--limit", type=int, default=200, help="the worker's batch size")
    parser.add_argument("--turns", type=int, default=5)
    parser.add_argument("--paused", action="store_true", help="pause the backlog's schedule")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="leadflow-bench-") as scratch:
        path = Path(scratch) / "claims.db"
        url = f"sqlite:///{path}"
        upgrade(url)
        now = datetime.now(UTC)
        zone = noon_zone(now)
        backlog = asyncio.run(setup(url))
        load(path, lead_rows(0, args.backlog, backlog[:3], iter(lambda: now, None), zone))
        others = set()
        for n in range(args.others):
            ids = asyncio.run(setup(url))
            others.add(ids[0])
            first = args.backlog + n * args.each
            load(path, lead_rows(first, args.each, ids[:3], iter(lambda: now, None), zone))
        connection = sqlite3.connect(path, isolation_level=None)
        connection.execute("CREATE INDEX ix_leads_due ON leads (next_action_at)")
        if args.paused:
            connection.execute("UPDATE schedules SET paused = 1 WHERE id = ?", (backlog[2],))
        at = sqlite_time(now)

        def oldest_first() -> list[Any]:
            return connection.execute(OLDEST_FIRST, {"now": at, "limit": args.limit}).fetchall()

        def fair() -> list[Any]:
            return due_lead_rows(connection, now, args.limit)

        ways = {"oldest first": oldest_first, "fair": fair}
        figures: dict[str, list[float]] = {name: [] for name in ways}
        for claim in ways.values():
            claim()  # warm
        for _turn in range(args.turns):
            for name, claim in ways.items():
                figures[name].append(_timed(claim, 200))
        paused = " (its schedule paused)" if args.paused else ""
        print(
            f"\n== {args.backlog:,} leads due for one company{paused}, {args.each} for each of "
            f"{args.others} others, claims of {args.limit}, SQLite, {args.turns} turns"
        )
        for name, claim in ways.items():
            taken = sum(1 for row in claim() if row[2] in others)
            each = ", ".join(f"{figure:.3f}" for figure in figures[name])
            print(
                f"{name:<13} median {statistics.median(figures[name]):.3f} ms a claim "
                f"({each}); the other companies' leads in it: {taken}"
            )
        connection.close()


if __name__ == "__main__":
    main()
