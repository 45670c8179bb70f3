"""The recording transaction: what the buyer answered becomes the submission's outcome.

Every try is recorded (status code or error, duration), with the verdict read from the last
answer. A lead the buyer did not take gives its place under the caps back.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from leadflow.db.statements import Sql
from leadflow.submissions.pipeline import repository
from leadflow.submissions.pipeline.decide import Sending, release
from leadflow.submissions.pipeline.delivery import Delivered
from leadflow.submissions.pipeline.notifications import PixelCall, announce, pixels_due
from leadflow.submissions.pipeline.steps import step

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


def record(sql: Sql, sent: list[tuple[Sending, Delivered]], now: datetime) -> list[PixelCall]:
    pixels: list[PixelCall] = []
    subscribed: dict[int, frozenset[str]] = {}
    for sending, delivered in sent:
        pixels += _record_one(sql, sending, delivered, now, subscribed)
    return pixels


def _record_one(
    sql: Sql,
    sending: Sending,
    delivered: Delivered,
    now: datetime,
    subscribed: dict[int, frozenset[str]],
) -> list[PixelCall]:
    plan, campaign = sending.plan, sending.evaluation.campaign
    submission = plan.submission
    status = outcome_status(delivered)
    verdict = delivered.verdict
    success = status == "delivered"
    delivery: dict[str, Any] = {
        **submission["delivery"],
        "success": success,
        "clientLeadId": verdict.client_lead_id,
        "statusCode": delivered.status_code,
        "responseMessage": verdict.reason if not success else delivered.response_text,
        "deliveredAt": now.isoformat() if success else None,
    }
    steps = [
        *submission["steps"],
        step(
            "delivery",
            verdict.outcome,
            campaign,
            reason=verdict.reason,
            attempts=[attempt.record() for attempt in delivered.attempts],
        ),
    ]
    updated = repository.update_submission(
        sql,
        submission["id"],
        now,
        status=status,
        steps=steps,
        delivery=delivery,
        attempts=int(submission.get("attempts") or 0) + len(delivered.attempts),
        delivered_at=now if success else None,
        next_attempt_at=None,
    )
    if not updated:  # the sweep ended it while this worker was stalled
        return []
    repository.set_lead_status(sql, plan.lead["id"], status, now)
    if not success:
        release(sql, campaign.id, sending.reserved)
    submission.update(status=status, steps=steps, delivery=delivery, reason=verdict.reason)
    announce(sql, plan.lead, submission, campaign.uuid, now, subscribed)
    if success:
        return pixels_due(sql, plan.lead, submission, campaign, "delivered", now)
    return []
