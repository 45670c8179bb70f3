"""The deciding transaction: duplicates, caps and hours, fallbacks, and what to send.

Runs inside one group-commit unit with the planned submissions. Whatever it decides (a final
status, a queue until the cap resets, a delivery about to start) is written before anything
leaves: a submission handed to delivery carries ``delivery.startedAt``, so a worker killed
while sending leaves a row the sweep ends as ``error`` instead of sending it twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from leadflow.db.statements import Row, Sql
from leadflow.db.time_locks import take_time_lock
from leadflow.submissions.pipeline import repository
from leadflow.submissions.pipeline.auction_seating import Ticket, seat_buyers
from leadflow.submissions.pipeline.campaigns import Campaign
from leadflow.submissions.pipeline.caps import (
    LIFETIME_RECHECK,
    Gate,
    daily_slot,
    hours_gate,
    next_midnight,
)
from leadflow.submissions.pipeline.delivery import longest_send_seconds
from leadflow.submissions.pipeline.enrolment import enrol
from leadflow.submissions.pipeline.notifications import PixelCall, announce, pixels_due
from leadflow.submissions.pipeline.plan import Plan
from leadflow.submissions.pipeline.repository import LIFETIME_SLOT
from leadflow.submissions.pipeline.steps import Evaluation, Step, step


@dataclass(frozen=True)
class Sending:
    """A delivery decided and committed, to be sent now."""

    plan: Plan
    evaluation: Evaluation
    reserved: list[int]
    position: int = 0
    """Which of ``plan.candidates`` had its turn (an overflow target takes its candidate's):
    a rejection goes on to the candidates after it."""
    tried: frozenset[int] = frozenset()
    """The campaigns this trip has delivered to, this one included (never sent twice)."""
    auction: Ticket | None = None
    """A ``ping_post`` campaign's auction to run instead of a delivery."""


@dataclass
class Decisions:
    sending: list[Sending] = field(default_factory=list)
    pixels: list[PixelCall] = field(default_factory=list)
    # Each company's subscribed events, read once per transaction.
    subscribed: dict[int, frozenset[str]] = field(default_factory=dict)


def dedupe_key(lead: Row) -> str | None:
    """Digits of the phone, else the lower-cased e-mail; None when neither is given (an
    empty field must never make two leads duplicates)."""
    phone = "".join(ch for ch in str(lead.get("phone") or "") if ch.isdigit())
    if phone:
        return f"phone:{phone}"
    email = str(lead.get("email") or "").strip().lower()
    return f"email:{email}" if email else None


def is_duplicate(sql: Sql, plan: Plan, now: datetime) -> bool:
    """Only an original submission of a real lead is checked, on its first pass (a queued one
    coming back must not find its own lock). The lock is taken in this transaction, so of two
    identical submissions arriving together exactly one wins.

    A duplicate is another lead with the same key in the window: a lead re-submitted by its
    ``leadId`` finds the lock its own earlier submission took, so for a re-submission a held
    lock counts only when some other lead's submission to the campaign could hold it. A
    first submission needs no such look: no earlier one of its own can hold the lock."""
    campaign = plan.original
    if campaign is None or plan.submission["type"] != "original" or plan.lead.get("is_test"):
        return False
    if any(s.get("step") == "duplicate" for s in plan.submission.get("steps") or []):
        return False
    key = dedupe_key(plan.lead)
    if key is None or campaign.duplicate_window_days <= 0:
        return False
    window = timedelta(days=campaign.duplicate_window_days)
    if take_time_lock(sql, repository.dedupe_scope(campaign.id), key, now, window):
        return False
    if int(plan.submission["number"]) == 1:
        return True
    return repository.other_lead_holds(sql, plan.lead, campaign.id, now - window)


def gate(sql: Sql, campaign: Campaign, now: datetime) -> tuple[Gate | None, list[int]]:
    """Lifetime cap, then daily cap, then hours; the slots reserved when all allow it."""
    caps = campaign.config.caps
    reserved: list[int] = []
    if caps.lifetime is not None:
        if not repository.reserve_cap(sql, campaign.id, LIFETIME_SLOT, caps.lifetime):
            reason = f"lifetime cap of {caps.lifetime} reached"
            return Gate("lifetime", reason, caps.on_cap, now + LIFETIME_RECHECK), []
        reserved.append(LIFETIME_SLOT)
    if caps.daily is not None:
        slot = daily_slot(campaign.time_zone, now)
        if not repository.reserve_cap(sql, campaign.id, slot, caps.daily):
            release(sql, campaign.id, reserved)
            reason = f"daily cap of {caps.daily} reached"
            retry_at = next_midnight(campaign.time_zone, now)
            return Gate("daily", reason, caps.on_cap, retry_at), []
        reserved.append(slot)
    closed = hours_gate(campaign.config.hours, campaign.time_zone, now)
    if closed is not None:
        release(sql, campaign.id, reserved)
        return closed, []
    return None, reserved


def release(sql: Sql, campaign_id: int, slots: list[int]) -> None:
    for slot in slots:
        repository.release_cap(sql, campaign_id, slot)


def decide(sql: Sql, plans: list[Plan], now: datetime, lease_seconds: float) -> Decisions:
    decisions = Decisions()
    for plan in plans:
        _decide_one(sql, plan, now, lease_seconds, decisions)
    return decisions


def _decide_one(
    sql: Sql, plan: Plan, now: datetime, lease_seconds: float, decisions: Decisions
) -> None:
    # A queued submission coming back keeps the record of its earlier passes.
    steps = [*(plan.submission.get("steps") or []), *plan.steps]
    if plan.original is None or not plan.original.active:
        reason = "the campaign does not exist or is not active"
        _finish(
            sql, decisions, plan, now, "failed", [*steps, step("campaign", "failed", reason=reason)]
        )
        return
    if is_duplicate(sql, plan, now):
        days = plan.original.duplicate_window_days
        reason = f"the same phone or e-mail was submitted to this campaign within {days} days"
        _finish(
            sql,
            decisions,
            plan,
            now,
            "duplicate",
            [*steps, step("duplicate", "duplicate", reason=reason)],
        )
        return
    steps.append(step("duplicate", "unique"))
    queued_until: datetime | None = None
    retry_candidates: list[datetime] = []
    for position, evaluation in enumerate(plan.candidates):
        steps.extend(evaluation.steps)
        if not evaluation.passed:
            continue
        chosen, blocked = _try(sql, plan, evaluation, now, steps)
        if chosen is not None:
            turn = _Turn(position, frozenset())
            _choose(sql, plan, chosen[0], chosen[1], now, lease_seconds, steps, decisions, turn)
            return
        assert blocked is not None
        if blocked.action.action == "queue":
            queued_until = blocked.retry_at
            break
        retry_candidates.append(blocked.retry_at)
    if queued_until is None and retry_candidates:
        # Every campaign that would take the lead is capped or closed: wait for the first.
        queued_until = min(retry_candidates)
    if queued_until is not None:
        extra = {"next_attempt_at": queued_until}
        _finish(sql, decisions, plan, now, "queued", steps, extra=extra)
        return
    primary = plan.candidates[0]
    status = _FAILED_STATUS.get(primary.failed_step or "", "disqualified")
    _finish(sql, decisions, plan, now, status, steps, qualification=primary.qualification)


def fall_back(
    sql: Sql, sending: Sending, steps: list[Step], now: datetime, lease_seconds: float
) -> Decisions | None:
    """After a buyer rejected the lead (step 8): the next of the plan's candidates that
    qualifies it and whose caps and hours allow it now, chosen as the first one was (in their
    configured order, one level deep, none delivered to twice); None when none is left.

    A capped or closed fallback is passed over with its step recorded, whatever its cap
    action says: the trip already had a buyer's answer, and queueing it would start it over
    at the campaign that rejected it. ``steps`` gains each candidate's own steps as it is
    looked at."""
    plan = sending.plan
    for position in range(sending.position + 1, len(plan.candidates)):
        evaluation = plan.candidates[position]
        steps.extend(evaluation.steps)
        if not evaluation.passed or evaluation.campaign.id in sending.tried:
            continue
        chosen, _blocked = _try(sql, plan, evaluation, now, steps)
        if chosen is None:
            continue
        if chosen[0].campaign.id in sending.tried:  # an overflow target that rejected it
            release(sql, chosen[0].campaign.id, chosen[1])
            continue
        decisions = Decisions()
        turn = _Turn(position, sending.tried)
        _choose(sql, plan, chosen[0], chosen[1], now, lease_seconds, steps, decisions, turn)
        return decisions
    return None


_FAILED_STATUS = {"payload": "failed", "dynamic_keys": "error"}
"""A lead no campaign took ends ``disqualified``, unless its own campaign could not build the
payload (``failed``) or its template broke a limit (``error``: the campaign's fault)."""


def _try(
    sql: Sql, plan: Plan, evaluation: Evaluation, now: datetime, steps: list[Step]
) -> tuple[tuple[Evaluation, list[int]] | None, Gate | None]:
    """The campaign if its caps and hours allow now; else the gate, after following a
    "campaign" action to its target (whose own overflow is not followed)."""
    blocked, reserved = gate(sql, evaluation.campaign, now)
    if blocked is None:
        return (evaluation, reserved), None
    steps.append(
        step(
            blocked.kind,
            "closed" if blocked.kind == "hours" else "capped",
            evaluation.campaign,
            reason=blocked.reason,
            action=blocked.action.action,
        )
    )
    if blocked.action.action != "campaign":
        return None, blocked
    target = next(
        (
            ev
            for ev in plan.overflow.values()
            if blocked.action.target_campaign_id in (ev.campaign.uuid, ev.campaign.code)
        ),
        None,
    )
    if target is None or not target.passed:
        steps.append(step("overflow", "unavailable", reason="the named campaign cannot take it"))
        return None, blocked
    steps.extend(target.steps)
    target_gate, target_reserved = gate(sql, target.campaign, now)
    if target_gate is None:
        return (target, target_reserved), None
    steps.append(step(target_gate.kind, "capped", target.campaign, reason=target_gate.reason))
    return None, blocked


@dataclass(frozen=True)
class _Turn:
    """Where in the plan's candidates a choice was made, and what the trip tried before."""

    position: int
    tried: frozenset[int]


def _choose(
    sql: Sql,
    plan: Plan,
    evaluation: Evaluation,
    reserved: list[int],
    now: datetime,
    lease_seconds: float,
    steps: list[Step],
    decisions: Decisions,
    turn: _Turn,
) -> None:
    campaign = evaluation.campaign
    if plan.candidates and campaign.id != plan.candidates[0].campaign.id:
        steps.append(step("fallback", "used", campaign))
    decisions.pixels += pixels_due(sql, plan.lead, plan.submission, campaign, "qualified", now)
    if campaign.config.first_submission_action and plan.submission["number"] == 1:
        steps.append(enrol(sql, plan.lead, campaign, evaluation.data, now, plan.dnc_hits))
    endpoint = campaign.config.endpoint
    ticket = None
    if campaign.config.ping_post is not None:
        ticket = seat_buyers(sql, campaign, plan.overflow, now, steps, gate)
    elif endpoint is None or evaluation.body is None:
        steps.append(step("delivery", "skipped", campaign, reason="the campaign has no endpoint"))
        _finish(
            sql,
            decisions,
            plan,
            now,
            "qualified",
            steps,
            qualification=evaluation.qualification,
            campaign=campaign,
        )
        return
    if ticket is not None:
        delivery = ticket.started(now)
        send_seconds = ticket.longest_seconds()
    else:
        assert endpoint is not None
        delivery = {
            "success": None,
            "campaignId": campaign.uuid,
            "url": str(endpoint.url),
            "method": endpoint.method,
            "bodyFormat": endpoint.body_format,
            "startedAt": now.isoformat(),
        }
        send_seconds = longest_send_seconds(endpoint)
    lease = now + timedelta(seconds=send_seconds + lease_seconds)
    repository.update_submission(
        sql,
        plan.submission["id"],
        now,
        steps=steps,
        qualification=evaluation.qualification,
        routing=plan.routing,
        delivery=delivery,
        next_attempt_at=lease,
    )
    plan.submission.update(steps=steps, qualification=evaluation.qualification, delivery=delivery)
    tried = turn.tried | {campaign.id}
    decisions.sending.append(Sending(plan, evaluation, reserved, turn.position, tried, ticket))


def _finish(
    sql: Sql,
    decisions: Decisions,
    plan: Plan,
    now: datetime,
    status: str,
    steps: list[Step],
    *,
    qualification: dict[str, Any] | None = None,
    campaign: Campaign | None = None,
    extra: dict[str, Any] | None = None,
) -> None:
    """Write a decided status, the lead's status and the events it announces."""
    reason = next((s["reason"] for s in reversed(steps) if s.get("reason")), None)
    if qualification is None:
        qualification = plan.submission.get("qualification") or {}
        if status in ("duplicate", "failed") and not qualification:
            qualification = {"passed": False, "score": 0.0, "method": "rules", "reason": reason}
    values: dict[str, Any] = {
        "status": status,
        "steps": steps,
        "qualification": qualification,
        "routing": plan.routing,
        "next_attempt_at": None,
        **(extra or {}),
    }
    repository.update_submission(sql, plan.submission["id"], now, **values)
    repository.set_lead_status(sql, plan.lead["id"], status, now)
    plan.submission.update(values, reason=reason)
    target = campaign or (plan.candidates[0].campaign if plan.candidates else plan.original)
    announce(
        sql, plan.lead, plan.submission, target.uuid if target else None, now, decisions.subscribed
    )
