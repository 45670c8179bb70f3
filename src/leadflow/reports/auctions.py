"""``GET /api/v1/reports/auctions``: each ping/post buyer's part in the auctions of a date
range: how often it was pinged, bid, won and posted, its win rate and the revenue it brought.

Read from ``auction_bids`` (one row per buyer seated in an auction, written with the
auction's record and indexed by company, buyer and time), not from the report counters: an
auction's buyers are campaigns, which the lead-level counters do not hold.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

from leadflow.calls.serializer import dollars
from leadflow.kit.errors import TrackDriveError
from leadflow.reports.repository import ReportRepository
from leadflow.reports.schemas import MAX_ID, read_int, read_params, read_range

PARAMS = frozenset({"from", "to", "campaign_id", "auth_token", "lead_token"})
METRICS = (
    "auctions",
    "pings",
    "bids",
    "no_bids",
    "below_floor",
    "late",
    "errors",
    "posts",
    "won",
    "win_rate",
    "revenue",
    "average_bid",
)


@dataclass(frozen=True)
class AuctionQuery:
    start: datetime
    end: datetime
    zone: ZoneInfo
    auction_campaign_id: int | None = None


def parse_auction_query(
    params: Sequence[tuple[str, str]], zone: ZoneInfo, now: datetime
) -> AuctionQuery:
    """Read the query string; 422 naming every bad or unknown parameter."""
    errors: dict[str, list[str]] = {}
    sent = read_params(params, PARAMS, errors)
    bounds = read_range(sent, zone, now, errors)
    raw = sent.get("campaign_id", "").strip()
    campaign_id = read_int(raw, "campaign_id", 1, MAX_ID, errors) if raw else None
    if errors:
        raise TrackDriveError.invalid(errors)
    return AuctionQuery(bounds["from"], bounds["to"], zone, campaign_id)


async def buyer_rows(repo: ReportRepository, query: AuctionQuery) -> list[dict[str, Any]]:
    """One row per buyer campaign seated in an auction in the range, most revenue first."""
    found = await repo.auction_buyers(query.start, query.end, query.auction_campaign_id)
    rows = [_shaped(row) for row in found]
    rows.sort(key=lambda row: (-row["revenue"], row["buyer"]["name"]))
    return rows


def _money(value: Any) -> float:
    """Bids are stored in dollars; shown as the calls API writes money (whole cents)."""
    return dollars(round(float(value or 0) * 100))


def _shaped(found: Any) -> dict[str, Any]:
    counts = {name: int(found[name] or 0) for name in METRICS[:9]}
    return {
        "buyer": {"id": found["buyer_campaign_id"], "name": found["name"], "code": found["code"]},
        **counts,
        "win_rate": round(counts["won"] / counts["bids"], 4) if counts["bids"] else 0.0,
        "revenue": _money(found["revenue"]),
        "average_bid": _money(found["average_bid"]),
    }


def totals_of(rows: Sequence[dict[str, Any]]) -> dict[str, float | int]:
    """Sums over the buyers; the rates over the sums (an auction seats several buyers, so
    ``auctions`` counts seats, not auctions)."""
    totals: dict[str, float | int] = {name: sum(row[name] for row in rows) for name in METRICS[:9]}
    bids = int(totals["bids"])
    totals["win_rate"] = round(int(totals["won"]) / bids, 4) if bids else 0.0
    totals["revenue"] = dollars(sum(round(row["revenue"] * 100) for row in rows))
    priced = sum(row["average_bid"] * row["bids"] for row in rows)
    totals["average_bid"] = _money(priced / bids) if bids else 0.0
    return totals


class AuctionReportOut(BaseModel):
    """One object per buyer campaign: ``buyer`` (``{"id", "name", "code"}``), then ``auctions``
    (auctions it was seated in), ``pings`` (pinged; fixed-price buyers are not), ``bids``
    (priced the lead, fixed price included), ``no_bids``, ``below_floor``, ``late`` (no answer
    by the deadline), ``errors``, ``posts`` (the full lead sent to it), ``won`` (it took the
    lead), ``win_rate`` (won per bid), ``revenue`` (its winning bids) and ``average_bid``."""

    rows: list[dict[str, Any]] = Field(
        examples=[
            [
                {
                    "buyer": {"id": 7, "name": "Acme (ping/post)", "code": "pp-acme"},
                    "auctions": 120,
                    "pings": 120,
                    "bids": 96,
                    "won": 41,
                    "win_rate": 0.4271,
                    "revenue": 512.5,
                    "average_bid": 11.2,
                }
            ]
        ]
    )
    totals: dict[str, float | int] = Field(examples=[{"auctions": 120, "revenue": 512.5}])
