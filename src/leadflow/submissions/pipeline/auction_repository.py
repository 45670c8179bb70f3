"""The auction's one write of its own: a row per buyer per auction (``auction_bids``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from leadflow.db.statements import Sql


def insert_bids(sql: Sql, rows: list[dict[str, Any]], now: datetime) -> None:
    """``rows`` carry every column but ``id`` and ``created_at``."""
    for row in rows:
        sql.run(
            "INSERT INTO auction_bids (company_id, submission_id, auction_campaign_id,"
            " buyer_campaign_id, outcome, bid, post_outcome, won, duration_ms, created_at)"
            " VALUES (:company_id, :submission_id, :auction_campaign_id, :buyer_campaign_id,"
            " :outcome, :bid, :post_outcome, :won, :duration_ms, :now)",
            now=now,
            **row,
        )
