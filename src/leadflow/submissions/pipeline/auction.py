"""Step 8 for a ``ping_post`` campaign: ping the seated buyers at once, sell to the best bid.

Every seated buyer is pinged in parallel; a fixed-price buyer bids its price without a ping.
At the deadline (counted from the first ping) the auction decides with what it has: a ping
still out is ``late`` and its bid, should it come, is ignored. Bids under the floor are
``below_floor``. The rest are ranked by amount, highest first, ties to the lower
``priority`` number, then the order the buyers are listed in; the lead is posted to the first
(its ping id in the post) and, only when that buyer rejects it, to the next. A post that gets
no answer, a duplicate or an unreadable one ends the auction: that buyer may have the lead,
and selling it again could sell it twice.

Runs between transactions, on the delivery client (URL policy, pinned addresses, no
redirects); nothing here touches the database. :mod:`.auction_record` writes the outcome.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field, replace
from typing import Any

import httpx

from leadflow.submissions.payload import EncodedBody, PayloadError, build_payload, encode_payload
from leadflow.submissions.pipeline.auction_seating import Seat, Ticket
from leadflow.submissions.pipeline.delivery import Delivered, TokenCache, UrlPolicy, deliver
from leadflow.submissions.pipeline.ping import Bid, send_ping
from leadflow.submissions.response_parsing import BuyerVerdict


@dataclass(frozen=True)
class Post:
    seat: Seat
    bid: Bid
    delivered: Delivered


@dataclass
class AuctionResult:
    """What happened, in order: every seat's bid (same order as the seats), every post."""

    bids: list[Bid] = field(default_factory=list)
    posts: list[Post] = field(default_factory=list)
    decision_ms: float = 0.0
    """From the first ping to the ranking (the deadline bounds it)."""

    @property
    def sold(self) -> Post | None:
        last = self.posts[-1] if self.posts else None
        return last if last is not None and last.delivered.verdict.outcome == "accepted" else None


async def run_auction(
    http: httpx.AsyncClient, ticket: Ticket, policy: UrlPolicy, tokens: TokenCache
) -> AuctionResult:
    result = AuctionResult()
    started = time.perf_counter()
    result.bids = await collect_bids(http, ticket, policy, started)
    ranked = rank(ticket, result.bids)
    result.decision_ms = (time.perf_counter() - started) * 1000
    for seat, bid in ranked:
        delivered = await post(http, seat, bid, policy, tokens)
        result.posts.append(Post(seat, bid, delivered))
        if delivered.verdict.outcome != "rejected":
            break
    return result


_LINGERING: set[asyncio.Task[Bid]] = set()
"""Pings still out at their auction's deadline: left to end within their own timeout, so a
slow buyer's answer returns its kept-alive connection to the pool instead of the connection
being torn down (and opened again for the next auction)."""


async def abandon_late_pings() -> None:
    """Stop the pings still out past their auction's deadline (the worker stops; their
    answers would be ignored anyway)."""
    loop = asyncio.get_running_loop()
    mine = [task for task in _LINGERING if task.get_loop() is loop]
    for task in mine:
        task.cancel()
    await asyncio.gather(*mine, return_exceptions=True)


async def collect_bids(
    http: httpx.AsyncClient, ticket: Ticket, policy: UrlPolicy, started: float
) -> list[Bid]:
    """One bid per seat, decided by the deadline whatever the buyers do."""
    deadline = ticket.rules.deadline_ms / 1000
    bids: list[Bid | None] = [None] * len(ticket.seats)
    tasks: dict[asyncio.Task[Bid], int] = {}
    for position, seat in enumerate(ticket.seats):
        ping = seat.buyer.ping
        if ping is None:
            bids[position] = Bid("fixed_price", seat.buyer.fixed_price)
            continue
        data = seat.evaluation.data
        task = asyncio.ensure_future(send_ping(http, ping, data, policy, ping.timeout_ms / 1000))
        tasks[task] = position
    if tasks:
        left = max(deadline - (time.perf_counter() - started), 0.0)
        _done, pending = await asyncio.wait(tasks, timeout=left)
        for task, position in tasks.items():
            if task in pending:
                reason = f"no answer by the auction's deadline of {ticket.rules.deadline_ms} ms"
                bids[position] = Bid("late", reason=reason, duration_ms=ticket.rules.deadline_ms)
                _LINGERING.add(task)
                task.add_done_callback(_LINGERING.discard)
            else:
                bids[position] = task.result()
    floor = ticket.rules.floor
    return [
        replace(bid, outcome="below_floor", reason=f"under the floor of {floor:g}")
        if bid is not None and bid.biddable and (bid.amount or 0.0) < floor
        else bid or Bid("error", reason="no bid")
        for bid in bids
    ]


def rank(ticket: Ticket, bids: list[Bid]) -> list[tuple[Seat, Bid]]:
    """Bids at or above the floor, highest first; ties to the lower priority number, then to
    the buyer listed first."""
    ranked = [(seat, bid) for seat, bid in zip(ticket.seats, bids, strict=True) if bid.biddable]
    ranked.sort(key=lambda pair: (-(pair[1].amount or 0.0), pair[0].buyer.priority, pair[0].index))
    return ranked


def post_body(seat: Seat, bid: Bid) -> EncodedBody:
    """The buyer's payload built again with the auction's outcome in reach: ``auction.pingId``
    and ``auction.bid`` for its tree, and the ping id under ``postPingIdKey``."""
    endpoint = seat.campaign.config.endpoint
    assert endpoint is not None
    data: dict[str, Any] = {
        **seat.evaluation.data,
        "auction": {"pingId": bid.ping_id, "bid": bid.amount},
    }
    payload = build_payload(endpoint.payload, data)
    key = seat.buyer.ping.post_ping_id_key if seat.buyer.ping is not None else None
    if key and bid.ping_id is not None:
        payload[key] = bid.ping_id
    body_format = "form" if endpoint.method == "GET" else endpoint.body_format
    return encode_payload(payload, body_format, endpoint.xml_root)


async def post(
    http: httpx.AsyncClient, seat: Seat, bid: Bid, policy: UrlPolicy, tokens: TokenCache
) -> Delivered:
    """Post the lead to a winning buyer, as a direct delivery is sent (retries included)."""
    endpoint = seat.campaign.config.endpoint
    assert endpoint is not None
    try:
        body = post_body(seat, bid)
    except PayloadError as exc:
        # Nothing was sent: the next bidder may have it.
        return Delivered(BuyerVerdict("rejected", f"post payload: {exc}"), None, None, [])
    return await deliver(http, endpoint, body, policy, tokens)
