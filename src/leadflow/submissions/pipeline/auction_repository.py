"""The auction's one write of its own: a row per buyer per auction (``auction_bids``)."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any

from leadflow.db.statements import Sql

COLUMNS = (
    "company_id",
    "submission_id",
    "auction_campaign_id",
    "buyer_campaign_id",
    "outcome",
    "bid",
    "post_outcome",
    "won",
    "duration_ms",
)

ROWS_PER_STATEMENT = 100
"""901 parameters at most: under SQLite's oldest limit (999) as under PostgreSQL's."""


def insert_bids(sql: Sql, rows: list[dict[str, Any]], now: datetime) -> None:
    """``rows`` carry every column but ``id`` and ``created_at``. One statement for all of
    them (ten buyers were ten round trips inside the recording transaction, which on SQLite
    holds the write lock every other submission waits for)."""
    for start in range(0, len(rows), ROWS_PER_STATEMENT):
        chunk = rows[start : start + ROWS_PER_STATEMENT]
        params: dict[str, Any] = {"now": now}
        for n, row in enumerate(chunk):
            for column in COLUMNS:
                params[f"{column}_{n}"] = row[column]
        sql.run(_statement(len(chunk)), **params)


@lru_cache(maxsize=64)
def _statement(count: int) -> str:
    """The multi-row ``INSERT`` for ``count`` rows (both engines take ``VALUES (…), (…)``)."""
    values = ", ".join(
        "(" + ", ".join(f":{column}_{n}" for column in COLUMNS) + ", :now)" for n in range(count)
    )
    return f"INSERT INTO auction_bids ({', '.join(COLUMNS)}, created_at) VALUES {values}"
