"""The recording transaction: what the buyer answered becomes the submission's outcome.

Every try is recorded (status code or error, duration), with the verdict read from the last
answer, the request sent and the buyer's answer. A lead the buyer did not take gives its place
under the caps back. A rejected lead goes on to the next fallback campaign (step 8): the
submission stays ``processing``, its next delivery decided and marked started in this same
transaction, and is only ended when a buyer takes it or no fallback is left.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from leadflow.db.statements import Sql
from leadflow.submissions.pipeline import repository
from leadflow.submissions.pipeline.decide import Sending, fall_back, release
from leadflow.submissions.pipeline.delivery import Delivered
from leadflow.submissions.pipeline.notifications import PixelCall, announce, pixels_due
from leadflow.submissions.pipeline.steps import Step, step

STATUS_FOR_OUTCOME = {"accepted": "delivered", "rejected": "rejected", "duplicate": "duplicate"}


def outcome_status(delivered: Delivered) -> str:
    """``error`` when the buyer answered something unreadable (someone must look), ``failed``
    when no answer was had at all (refused URL, timeouts, connection errors, 5xx)."""
    verdict = delivered.verdict.outcome
    if verdict in STATUS_FOR_OUTCOME:
        return STATUS_FOR_OUTCOME[verdict]
    if delivered.refused or delivered.status_code is None or delivered.status_code >= 500:
        return "failed"
    return "error"


@dataclass
class Recorded:
    """What leaves after the recording commits: pixels, and deliveries to fallbacks."""

    pixels: list[PixelCall] = field(default_factory=list)
    sending: list[Sending] = field(default_factory=list)


def record(
    sql: Sql, sent: list[tuple[Sending, Delivered]], now: datetime, lease_seconds: float
) -> Recorded:
    recorded = Recorded()
    subscribed: dict[int, frozenset[str]] = {}
    for sending, delivered in sent:
        _record_one(sql, sending, delivered, now, lease_seconds, subscribed, recorded)
    return recorded


def delivery_step(sending: Sending, delivered: Delivered) -> Step:
    """One delivery attempt as the submission's steps show it: the campaign, the request
    (where and how; the payload is in the campaign's ``payload`` step), each try, and what
    the buyer answered."""
    started = sending.plan.submission["delivery"]
    verdict = delivered.verdict
    return step(
        "delivery",
        verdict.outcome,
        sending.evaluation.campaign,
        reason=verdict.reason,
        request={key: started.get(key) for key in ("url", "method", "bodyFormat")},
        response={
            "statusCode": delivered.status_code,
            "body": delivered.response_text,
            "clientLeadId": verdict.client_lead_id,
        },
        attempts=[attempt.record() for attempt in delivered.attempts],
    )


def _record_one(
    sql: Sql,
    sending: Sending,
    delivered: Delivered,
    now: datetime,
    lease_seconds: float,
    subscribed: dict[int, frozenset[str]],
    recorded: Recorded,
) -> None:
    plan, campaign = sending.plan, sending.evaluation.campaign
    submission = plan.submission
    status = outcome_status(delivered)
    verdict = delivered.verdict
    success = status == "delivered"
    steps = [*submission["steps"], delivery_step(sending, delivered)]
    attempts = int(submission.get("attempts") or 0) + len(delivered.attempts)
    if status == "rejected":
        if not repository.update_submission(sql, submission["id"], now, attempts=attempts):
            return  # the sweep ended it while this worker was stalled
        submission["attempts"] = attempts
        release(sql, campaign.id, sending.reserved)
        then = fall_back(sql, sending, steps, now, lease_seconds)
        if then is not None:
            recorded.pixels += then.pixels
            recorded.sending += then.sending
            return
    delivery: dict[str, Any] = {
        **submission["delivery"],
        "success": success,
        "clientLeadId": verdict.client_lead_id,
        "statusCode": delivered.status_code,
        "responseMessage": verdict.reason if not success else delivered.response_text,
        "deliveredAt": now.isoformat() if success else None,
    }
    updated = repository.update_submission(
        sql,
        submission["id"],
        now,
        status=status,
        steps=steps,
        delivery=delivery,
        attempts=attempts,
        delivered_at=now if success else None,
        next_attempt_at=None,
    )
    if not updated:  # the sweep ended it while this worker was stalled
        return
    repository.set_lead_status(sql, plan.lead["id"], status, now)
    if not success and status != "rejected":  # a rejection gave its slots back above
        release(sql, campaign.id, sending.reserved)
    submission.update(status=status, steps=steps, delivery=delivery, reason=verdict.reason)
    announce(sql, plan.lead, submission, campaign.uuid, now, subscribed)
    if success:
        recorded.pixels += pixels_due(sql, plan.lead, submission, campaign, "delivered", now)
