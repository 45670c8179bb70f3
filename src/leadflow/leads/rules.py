"""The rules of a post: which lead it updates, what status and columns a lead gets, the lock it
takes. Pure functions of the post, its owner, the clock and the rows in hand, so the single post
(:func:`leads.service.intake`) and the batch intake (``leads.batch``) apply one copy of each, and
each can be tested without a database.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from leadflow.contacts.repository import ContactRow
from leadflow.db.statements import Row
from leadflow.dnc.policy import CLEAR, Verdict
from leadflow.dnc.registry import ListHit
from leadflow.dnc.screening import lead_verdict
from leadflow.leads.owner import LeadOwner, Routing
from leadflow.leads.params import IntakeParams
from leadflow.models import LeadStatus
from leadflow.models.base import new_uuid


class IntakeMode(StrEnum):
    ENROL = "enrol"  # POST /leads: dedupe inside the schedule's timeframe, else create
    CAPTURE = "capture"  # POST /leads/capture: store only, start no action
    CREATE_OR_UPDATE = "create_or_update"  # update the live lead in scope whenever there is one


@dataclass(frozen=True)
class IntakeContext:
    now: datetime
    remote_ip: str | None
    mode: IntakeMode = IntakeMode.ENROL
    may_unblock: bool = False
    # Set when the post named a router: the owner is then the chosen target schedule.
    routing: Routing | None = None
    # The shared do-not-call lists holding the caller's number (leadflow.dnc.screening),
    # read before the unit; the schedule's settings pick those that apply.
    dnc_hits: tuple[ListHit, ...] = ()
    # The API request's id (ops.request_id), stored with a lead this post creates.
    request_id: str | None = None


def lock_key(owner: LeadOwner, caller_id: str | None) -> int:
    """A stable 63-bit key for the (company, owner, caller) duplicate lock."""
    text = f"{owner.company_id}:{owner.offer_id}:{owner.schedule_id}:{caller_id}"
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big") >> 1


def contact_state(row: ContactRow | None) -> dict[str, bool]:
    """The number's suppression flags as a post reads them (an unknown number has none)."""
    if row is None:
        return {"blocked": False, "opt_out": False, "dnc": False}
    return {"blocked": row["blocked"], "opt_out": row["opt_out"], "dnc": row["dnc"]}


def dnc_verdict(
    owner: LeadOwner, params: IntakeParams, ctx: IntakeContext, existing: Row | None
) -> Verdict:
    """The schedule's do-not-call verdict: the inquiry is the lead's first post, the consent
    the tokens it holds after this post."""
    if not ctx.dnc_hits:
        return CLEAR
    inquiry_at = existing["created_at"] if existing is not None else ctx.now
    tokens = {**existing["tokens"], **params.tokens} if existing is not None else params.tokens
    return lead_verdict(ctx.dnc_hits, owner.dnc, inquiry_at, tokens, ctx.now)


@dataclass(frozen=True)
class DuplicateRule:
    """Which lead of the caller's in the owner's scope a post updates: the newest live one,
    created at ``since`` or later when that is set."""

    since: datetime | None

    def matches(self, lead: Row) -> bool:
        """The query's condition (``leads_in_scope``) on a lead in hand: the batch intake
        asks it of the leads its own earlier rows created or changed."""
        return lead["status"] in LeadStatus.LIVE and (
            self.since is None or lead["created_at"] >= self.since
        )


def duplicate_rule(
    owner: LeadOwner, params: IntakeParams, ctx: IntakeContext
) -> DuplicateRule | None:
    """The duplicate rule of a post that neither deletes, expires nor restarts: None when it
    always creates a lead."""
    updating = (
        ctx.mode is IntakeMode.CREATE_OR_UPDATE
        or params.update_only
        or not owner.is_schedule  # an offer keeps one data record per caller
    )
    if updating:
        return DuplicateRule(None)
    if owner.duplicate_timeframe > 0:
        return DuplicateRule(ctx.now - timedelta(seconds=owner.duplicate_timeframe))
    return None


def field_values(
    params: IntakeParams, traffic_source_id: int | None, now: datetime
) -> dict[str, Any]:
    """The columns this post sets explicitly; absent parameters leave a lead as it was."""
    values: dict[str, Any] = {
        "email": params.email,
        "contact_field_type": params.contact_field_type,
        "traffic_source_id": traffic_source_id,
        "sub_id": params.sub_id,
        "lead_priority": params.lead_priority,
        "max_contact_attempts": params.max_contact_attempts,
        "expires_at": params.expires_at(now),
        "schedule_callback_at": params.callback_at(now),
        "next_action_at": params.next_action_at,
    }
    return {name: value for name, value in values.items() if value is not None}


def _status_for(
    owner: LeadOwner, ctx: IntakeContext, contact: dict[str, bool], verdict: Verdict
) -> str:
    """A suppressed number is still stored (nothing is lost) but never worked."""
    if contact["blocked"]:
        return LeadStatus.BLOCKED
    if contact["opt_out"]:
        return LeadStatus.OPT_OUT
    if contact["dnc"] or verdict.blocks:
        return LeadStatus.DNC
    if ctx.mode is IntakeMode.CAPTURE:
        return LeadStatus.CAPTURED
    return LeadStatus.SCHEDULED if owner.is_schedule else LeadStatus.WAITING


def new_lead(
    owner: LeadOwner,
    params: IntakeParams,
    ctx: IntakeContext,
    values: dict[str, Any],
    contact: dict[str, bool],
    verdict: Verdict,
) -> dict[str, Any]:
    """The row of the lead a post creates, all but its id."""
    status = _status_for(owner, ctx, contact, verdict)
    working = status == LeadStatus.SCHEDULED
    lead: dict[str, Any] = {
        "uuid": new_uuid(),
        "company_id": owner.company_id,
        "offer_id": owner.offer_id,
        "schedule_id": owner.schedule_id,
        "caller_id": params.caller_id,
        "remote_ip": ctx.remote_ip,
        "status": status,
        "tokens": dict(params.tokens),
        "action_index": 0,
        "contact_attempts": 0,
        "calls_placed": 0,
        "calls_connected": 0,
        "created_at": ctx.now,
        "updated_at": ctx.now,
        "email": None,
        "contact_field_type": None,
        "traffic_source_id": None,
        "sub_id": None,
        "lead_priority": None,
        "max_contact_attempts": None,
        "expires_at": None,
        "schedule_callback_at": None,
        "trackdrive_number_id": None,
        "sms_number_id": None,
        "ended_at": None if status in LeadStatus.LIVE else ctx.now,
        "request_id": ctx.request_id,
        **values,
    }
    lead["next_action_at"] = (
        values.get("next_action_at") or lead["schedule_callback_at"] or ctx.now if working else None
    )
    return lead


def lead_changes(
    owner: LeadOwner,
    params: IntakeParams,
    existing: Row,
    values: dict[str, Any],
    ctx: IntakeContext,
    contact: dict[str, bool],
    verdict: Verdict,
) -> dict[str, Any]:
    """The columns a post changes on the lead it updates."""
    now = ctx.now
    changes: dict[str, Any] = {**values, "updated_at": now}
    changes["tokens"] = {**existing["tokens"], **params.tokens}
    if params.restart_schedule and owner.is_schedule:
        changes.update(
            action_index=0, status=LeadStatus.SCHEDULED, next_action_at=now, ended_at=None
        )
    elif (
        existing["status"] == LeadStatus.CAPTURED
        and ctx.mode is not IntakeMode.CAPTURE
        and owner.is_schedule
    ):
        # A captured lead waits for a real post to start its schedule: this is that post.
        changes.update(
            status=LeadStatus.SCHEDULED,
            next_action_at=values.get("next_action_at")
            or values.get("schedule_callback_at")
            or now,
        )
    elif "schedule_callback_at" in values and "next_action_at" not in values:
        changes["next_action_at"] = values["schedule_callback_at"]
    if contact["blocked"] or contact["opt_out"]:
        changes.update(
            status=LeadStatus.BLOCKED if contact["blocked"] else LeadStatus.OPT_OUT,
            next_action_at=None,
            ended_at=now,
        )
    elif verdict.blocks and changes.get("status", existing["status"]) in LeadStatus.LIVE:
        changes.update(status=LeadStatus.DNC, next_action_at=None, ended_at=now)
    return changes
