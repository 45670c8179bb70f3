"""Which buyers an auction pings: decided in the deciding transaction, before any ping.

A buyer is pinged only when its campaign is active, qualifies the lead (its disqualification
rules, required fields and field qualification: its filters), has a post endpoint, and its
caps and hours allow a lead now. Its cap slots are reserved here, as a direct delivery's are,
so two auctions running at once cannot both sell a buyer its last lead; the auction gives
back every slot but the winner's when it has recorded its outcome.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from leadflow.db.statements import Sql
from leadflow.submissions.pipeline.auction_config import AuctionBuyer, PingPost
from leadflow.submissions.pipeline.campaigns import Campaign
from leadflow.submissions.pipeline.caps import Gate
from leadflow.submissions.pipeline.delivery import longest_send_seconds
from leadflow.submissions.pipeline.steps import Evaluation, Step, step

GateCheck = Callable[[Sql, Campaign, datetime], tuple[Gate | None, list[int]]]
""":func:`~leadflow.submissions.pipeline.decide.gate`, passed in (decide imports this module)."""


@dataclass(frozen=True)
class Seat:
    """A buyer taking part: its entry in the auction, its campaign's view of the lead, and
    the cap slots reserved for it."""

    buyer: AuctionBuyer
    evaluation: Evaluation
    reserved: list[int]
    index: int

    @property
    def campaign(self) -> Campaign:
        return self.evaluation.campaign


@dataclass(frozen=True)
class Ticket:
    """An auction decided and committed, to be run now."""

    auction: Campaign
    rules: PingPost
    seats: list[Seat]

    def longest_seconds(self) -> float:
        """An upper bound on the auction: the deadline, then a post to every seat in turn
        (the claim's lease must outlast it)."""
        posts = 0.0
        for seat in self.seats:
            endpoint = seat.campaign.config.endpoint
            posts += longest_send_seconds(endpoint) if endpoint is not None else 0.0
        return self.rules.deadline_ms / 1000 + posts

    def started(self, now: datetime) -> dict[str, Any]:
        """The submission's ``delivery`` while the auction runs."""
        return {
            "success": None,
            "campaignId": self.auction.uuid,
            "mode": "ping_post",
            "startedAt": now.isoformat(),
        }


def seat_buyers(
    sql: Sql,
    auction: Campaign,
    buyers: dict[int, Evaluation],
    now: datetime,
    steps: list[Step],
    gate: GateCheck,
) -> Ticket:
    """The auction's seats; each buyer left out gets an ``auction_buyer`` step saying why.
    ``buyers`` holds the plan's evaluations by campaign id (see ``plan.draft_plan``)."""
    rules = auction.config.ping_post
    assert rules is not None
    by_ref: dict[str, Evaluation] = {}
    for known in buyers.values():
        by_ref[known.campaign.uuid] = known
        by_ref[known.campaign.code] = known
    seats: list[Seat] = []
    for index, buyer in enumerate(rules.buyers):
        evaluation = by_ref.get(buyer.campaign_id)
        why = _left_out(evaluation, auction)
        if evaluation is None or why is not None:
            steps.append(
                step(
                    "auction_buyer",
                    "skipped",
                    evaluation.campaign if evaluation else None,
                    buyer=buyer.campaign_id,
                    reason=why,
                )
            )
            continue
        blocked, reserved = gate(sql, evaluation.campaign, now)
        if blocked is not None:
            steps.append(
                step(
                    "auction_buyer",
                    "capped" if blocked.kind != "hours" else "closed",
                    evaluation.campaign,
                    reason=blocked.reason,
                )
            )
            continue
        seats.append(Seat(buyer, evaluation, reserved, index))
    return Ticket(auction, rules, seats)


def buyer_campaigns(
    campaign: Campaign, resolve: Callable[[int, str], Campaign | None]
) -> list[Campaign]:
    """The active campaigns an auction campaign names as buyers (to be evaluated in the plan)."""
    rules = campaign.config.ping_post
    if rules is None:
        return []
    found: list[Campaign] = []
    for buyer in rules.buyers:
        target = resolve(campaign.company_id, buyer.campaign_id)
        if target is not None and target.active and target.id != campaign.id:
            found.append(target)
    return found


def _left_out(evaluation: Evaluation | None, auction: Campaign) -> str | None:
    if evaluation is None or not evaluation.campaign.active:
        return "the buyer's campaign does not exist or is not active"
    if evaluation.campaign.id == auction.id:
        return "an auction does not sell to itself"
    if not evaluation.passed:
        return f"filtered: {evaluation.reason or 'the buyer does not qualify the lead'}"
    if evaluation.campaign.config.endpoint is None or evaluation.body is None:
        return "the buyer's campaign has no endpoint to post to"
    return None
