"""The recording transaction of an auction: every ping, bid and post becomes a step.

The submission's ``steps`` gain one ``ping`` step per seated buyer (what was sent, what came
back, how long it took, the bid and ping id), one ``delivery`` step per post (as a direct
delivery's, with the bid), then an ``auction`` step with the winner and the revenue (the
accepted bid). A sold lead is ``delivered``; its ``delivery`` names the buyer's campaign, the
auction campaign, the bid and the revenue. Every cap slot but the winner's is given back.

An unsold lead (no bid at or above the floor, or every post rejected) goes on to the auction
campaign's fallbacks as a rejected direct delivery does; a post that got no answer, a
duplicate or an unreadable one ends the trip with that status, as a direct delivery's would.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from leadflow.db.statements import Sql
from leadflow.submissions.pipeline import repository
from leadflow.submissions.pipeline.auction import AuctionResult, Post
from leadflow.submissions.pipeline.auction_repository import insert_bids
from leadflow.submissions.pipeline.auction_seating import Seat
from leadflow.submissions.pipeline.decide import Sending, fall_back, release
from leadflow.submissions.pipeline.notifications import announce, pixels_due
from leadflow.submissions.pipeline.ping import Bid
from leadflow.submissions.pipeline.record import Recorded, outcome_status
from leadflow.submissions.pipeline.steps import Step, step


def ping_step(seat: Seat, bid: Bid) -> Step:
    response = None
    if bid.status_code is not None or bid.response_text is not None:
        response = {"statusCode": bid.status_code, "body": bid.response_text}
    return step(
        "ping",
        bid.outcome,
        seat.campaign,
        bid=bid.amount,
        pingId=bid.ping_id,
        reason=bid.reason,
        priority=seat.buyer.priority,
        request=bid.request,
        response=response,
        durationMs=bid.duration_ms if seat.buyer.ping is not None else None,
    )


def post_step(posted: Post) -> Step:
    endpoint = posted.seat.campaign.config.endpoint
    assert endpoint is not None
    delivered, verdict = posted.delivered, posted.delivered.verdict
    return step(
        "delivery",
        verdict.outcome,
        posted.seat.campaign,
        reason=verdict.reason,
        bid=posted.bid.amount,
        pingId=posted.bid.ping_id,
        request={
            "url": str(endpoint.url),
            "method": endpoint.method,
            "bodyFormat": endpoint.body_format,
        },
        response={
            "statusCode": delivered.status_code,
            "body": delivered.response_text,
            "clientLeadId": verdict.client_lead_id,
        },
        attempts=[attempt.record() for attempt in delivered.attempts],
    )


def bid_rows(sending: Sending, result: AuctionResult) -> list[dict[str, Any]]:
    """One ``auction_bids`` row per seated buyer: its bid, its post's outcome, whether it won."""
    ticket = sending.auction
    assert ticket is not None
    submission = sending.plan.submission
    posted = {id(p.seat): p.delivered.verdict.outcome for p in result.posts}
    sold = result.sold
    return [
        {
            "company_id": submission["company_id"],
            "submission_id": submission["id"],
            "auction_campaign_id": ticket.auction.id,
            "buyer_campaign_id": seat.campaign.id,
            "outcome": bid.outcome,
            "bid": bid.amount,
            "post_outcome": posted.get(id(seat)),
            "won": sold is not None and sold.seat is seat,
            "duration_ms": bid.duration_ms if seat.buyer.ping is not None else None,
        }
        for seat, bid in zip(ticket.seats, result.bids, strict=True)
    ]


def record_auction(
    sql: Sql, sending: Sending, result: AuctionResult, now: datetime, lease_seconds: float
) -> Recorded:
    recorded = Recorded()
    ticket = sending.auction
    assert ticket is not None
    submission = sending.plan.submission
    steps = [*submission["steps"]]
    steps += [ping_step(seat, bid) for seat, bid in zip(ticket.seats, result.bids, strict=True)]
    steps += [post_step(posted) for posted in result.posts]
    sold = result.sold
    biddable = sum(1 for bid in result.bids if bid.biddable)
    steps.append(
        step(
            "auction",
            "sold" if sold else "unsold",
            ticket.auction,
            buyerCampaignId=sold.seat.campaign.uuid if sold else None,
            bid=sold.bid.amount if sold else None,
            revenue=sold.bid.amount if sold else None,
            bids=biddable,
            decisionMs=round(result.decision_ms, 1),
            deadlineMs=ticket.rules.deadline_ms,
            floor=ticket.rules.floor,
            reason=None if sold else _unsold_reason(result, biddable),
        )
    )
    attempts = int(submission.get("attempts") or 0) + sum(
        len(posted.delivered.attempts) for posted in result.posts
    )
    for seat in ticket.seats:
        if sold is None or seat is not sold.seat:
            release(sql, seat.campaign.id, seat.reserved)
    insert_bids(sql, bid_rows(sending, result), now)
    last = result.posts[-1] if result.posts else None
    ending = outcome_status(last.delivered) if last is not None else "rejected"
    if sold is None and ending == "rejected":
        if not repository.update_submission(sql, submission["id"], now, attempts=attempts):
            return recorded  # the sweep ended it while this worker was stalled
        submission["attempts"] = attempts
        release(sql, ticket.auction.id, sending.reserved)
        posted_to = frozenset(posted.seat.campaign.id for posted in result.posts)
        onward = replace(sending, tried=sending.tried | posted_to, auction=None)
        then = fall_back(sql, onward, steps, now, lease_seconds)
        if then is not None:
            recorded.pixels += then.pixels
            recorded.sending += then.sending
            return recorded
    _end(sql, sending, result, steps, ending, attempts, now, recorded)
    return recorded


def _end(
    sql: Sql,
    sending: Sending,
    result: AuctionResult,
    steps: list[Step],
    status: str,
    attempts: int,
    now: datetime,
    recorded: Recorded,
) -> None:
    ticket = sending.auction
    assert ticket is not None
    plan, submission = sending.plan, sending.plan.submission
    sold = result.sold
    last = result.posts[-1] if result.posts else None
    reason = next((s.get("reason") for s in reversed(steps) if s.get("reason")), None)
    delivery: dict[str, Any] = {**submission["delivery"], "success": sold is not None}
    if last is not None:
        endpoint = last.seat.campaign.config.endpoint
        assert endpoint is not None
        delivery.update(
            campaignId=last.seat.campaign.uuid,
            auctionCampaignId=ticket.auction.uuid,
            url=str(endpoint.url),
            method=endpoint.method,
            bodyFormat=endpoint.body_format,
            clientLeadId=last.delivered.verdict.client_lead_id,
            statusCode=last.delivered.status_code,
            bid=last.bid.amount,
            pingId=last.bid.ping_id,
        )
    delivery.update(
        revenue=sold.bid.amount if sold else None,
        responseMessage=last.delivered.response_text if sold and last else reason,
        deliveredAt=now.isoformat() if sold else None,
    )
    updated = repository.update_submission(
        sql,
        submission["id"],
        now,
        status=status,
        steps=steps,
        delivery=delivery,
        attempts=attempts,
        delivered_at=now if sold else None,
        next_attempt_at=None,
    )
    if not updated:  # the sweep ended it while this worker was stalled
        return
    repository.set_lead_status(sql, plan.lead["id"], status, now)
    if sold is None and status != "rejected":
        release(sql, ticket.auction.id, sending.reserved)
    submission.update(status=status, steps=steps, delivery=delivery, reason=reason)
    target = sold.seat.campaign.uuid if sold else ticket.auction.uuid
    announce(sql, plan.lead, submission, target, now, {})
    if sold:
        recorded.pixels += pixels_due(sql, plan.lead, submission, ticket.auction, "delivered", now)


def _unsold_reason(result: AuctionResult, biddable: int) -> str:
    if result.posts:
        return "every buyer that won rejected the lead"
    if not result.bids:
        return "no buyer could take the lead (filters, caps or hours)"
    if biddable == 0:
        return "no bid at or above the floor by the deadline"
    return "no buyer took the lead"
