"""Lead intake and the per-caller operations: what TrackDrive's ``/api/v1/leads`` family does.

Every function here runs as one unit of a group-commit batch (``db.group_commit``): it reads and
writes through the connection it is given and never commits; the batch does, before any caller
sees an answer. The decisions it applies (the duplicate rule, the status and columns of a lead)
are in :mod:`leads.rules`, shared with the batch intake; this module reads and writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from leadflow.contacts import repository as contacts
from leadflow.db.statements import Row, Sql
from leadflow.dnc.policy import Verdict
from leadflow.dnc.screening import verdict_event
from leadflow.kit.errors import TrackDriveError
from leadflow.kit.values import iso_time
from leadflow.leads import repository
from leadflow.leads.owner import LeadOwner, traffic_source
from leadflow.leads.params import IntakeParams
from leadflow.leads.repository import timeline_event
from leadflow.leads.rules import (
    IntakeContext,
    contact_state,
    dnc_verdict,
    duplicate_rule,
    field_values,
    lead_changes,
    lock_key,
    new_lead,
)
from leadflow.models import LeadStatus
from leadflow.webhooks.lead_events import LEAD_CHANGED, LEAD_ENDED, NEW_LEAD, enqueue_lead_event


@dataclass
class IntakeResult:
    lead: dict[str, Any]
    dedupe_action: str
    contact: dict[str, bool]
    trackdrive_number_plain: str | None = None
    sms_number_plain: str | None = None
    updated_matching_leads: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def take_duplicate_lock(sql: Sql, owner: LeadOwner, caller_id: str) -> None:
    """Across processes on PostgreSQL; SQLite's single writer already serialises intake."""
    if sql.dialect == "postgresql":
        sql.one("SELECT pg_advisory_xact_lock(:key)", key=lock_key(owner, caller_id))


def intake(sql: Sql, owner: LeadOwner, params: IntakeParams, ctx: IntakeContext) -> IntakeResult:
    """Create or update the lead a post describes, with every documented side parameter."""
    if params.caller_id is not None:
        take_duplicate_lock(sql, owner, params.caller_id)
    now = ctx.now
    traffic_source_id = traffic_source_of(sql, owner, params)
    events: list[tuple[str, dict[str, Any]]] = []
    contact = _apply_contact_flags(sql, owner, params, ctx, events)

    existing = _existing_lead(sql, owner, params, ctx)
    if existing is None and params.update_only:
        raise TrackDriveError(
            404, {"caller_id": ["no active lead matches to update"]}, "no_active_lead"
        )

    values = field_values(params, traffic_source_id, now)
    verdict = dnc_verdict(owner, params, ctx, existing)
    if existing is None:
        lead = new_lead(owner, params, ctx, values, contact, verdict)
        lead["id"] = repository.insert_lead(sql, lead)
    else:
        changes = lead_changes(owner, params, existing, values, ctx, contact, verdict)
        repository.update_lead(sql, existing["id"], changes)
        lead = {**existing, **changes}
    result = IntakeResult(
        lead=lead, dedupe_action="created" if existing is None else "updated", contact=contact
    )
    after_store(sql, owner, params, ctx, verdict, result, events)
    repository.add_events(sql, [timeline_event(lead, kind, data, now) for kind, data in events])
    announce(sql, result, now)
    return result


def after_store(
    sql: Sql,
    owner: LeadOwner,
    params: IntakeParams,
    ctx: IntakeContext,
    verdict: Verdict,
    result: IntakeResult,
    events: list[tuple[str, dict[str, Any]]],
) -> None:
    """Everything a post does once its lead is stored: the timeline's entries (``events``
    gets them, in the order the timeline shows them), routing, numbers, matching leads,
    calls' tokens. Shared with the batch intake (``leads.batch``)."""
    lead = result.lead
    if result.dedupe_action == "created":
        events.insert(0, ("created", {"tokens": sorted(params.tokens), "mode": str(ctx.mode)}))
    else:
        events.insert(0, ("updated", {"tokens": sorted(params.tokens)}))
        if params.restart_schedule and owner.is_schedule:
            events.append(("restarted", {}))
    listed = verdict_event(verdict)
    if listed is not None:
        events.append(listed)
    if ctx.routing is not None:
        routed = {
            "router_schedule_id": ctx.routing.router_schedule_id,
            "distribution_id": ctx.routing.distribution_id,
        }
        result.extra.update(routed)
        # The timeline names them too: an id alone means nothing to the person reading it.
        names = {
            "router_name": ctx.routing.router_name,
            "distribution_name": ctx.routing.distribution_name,
        }
        events.append(("routed", {**routed, **names}))
    _assign_numbers(sql, owner, params, lead, result, events)
    if params.update_all_matching_leads and params.caller_id:
        result.updated_matching_leads = _update_matching(sql, owner, params, lead, ctx.now)
    if params.apply_to_calls and params.tokens:
        count = repository.merge_call_tokens(sql, [lead["id"]], params.tokens)
        events.append(("tokens_applied_to_calls", {"calls": count}))
    callback = params.callback_at(ctx.now)
    if callback is not None:
        events.append(("callback_scheduled", {"at": iso_time(callback)}))


def announce(sql: Sql, result: IntakeResult, now: datetime) -> None:
    """The webhook event of a stored post: ``new_lead`` or ``lead_changed``."""
    enqueue_lead_event(
        sql,
        NEW_LEAD if result.dedupe_action == "created" else LEAD_CHANGED,
        result.lead,
        now,
        contact=result.contact,
        trackdrive_number_plain=result.trackdrive_number_plain,
        sms_number_plain=result.sms_number_plain,
    )


def traffic_source_of(sql: Sql, owner: LeadOwner, params: IntakeParams) -> int | None:
    return traffic_source(sql, owner.company_id, params.traffic_source_ref)


def _apply_contact_flags(
    sql: Sql,
    owner: LeadOwner,
    params: IntakeParams,
    ctx: IntakeContext,
    events: list[tuple[str, dict[str, Any]]],
) -> dict[str, bool]:
    if params.caller_id is None:
        return contact_state(None)
    state = contact_state(contacts.contact_row(sql, owner.company_id, params.caller_id))
    if params.unblock_contact:
        if not ctx.may_unblock:
            raise TrackDriveError.forbidden(
                "unblock_contact needs company credentials that may update leads"
            )
        contacts.set_contact_state(
            sql,
            owner.company_id,
            params.caller_id,
            ctx.now,
            blocked=False,
            blocked_at=None,
        )
        # An opt-out is the consumer's own request: only START or a recorded opt-in lifts it.
        state.update(blocked=False)
        events.append(("contact_unblocked", {}))
    if params.blocked and not state["blocked"]:
        contacts.set_contact_state(
            sql, owner.company_id, params.caller_id, ctx.now, blocked=True, blocked_at=ctx.now
        )
        state["blocked"] = True
        events.append(("contact_blocked", {}))
    return state


def _existing_lead(
    sql: Sql, owner: LeadOwner, params: IntakeParams, ctx: IntakeContext
) -> Row | None:
    """The live lead this post updates, after ``expire_existing``/``delete_existing`` ran."""
    if params.caller_id is None:
        return None
    scope = (owner.company_id, owner.offer_id, owner.schedule_id, params.caller_id)
    if params.delete_existing:
        rows = repository.leads_in_scope(sql, *scope, live_only=False)
        repository.delete_leads(sql, [row["id"] for row in rows])
        for row in rows:
            if row["status"] in LeadStatus.LIVE:
                enqueue_lead_event(sql, LEAD_ENDED, row, ctx.now)
        return None
    if params.expire_existing:
        for row in repository.leads_in_scope(sql, *scope):
            expired = {
                "status": LeadStatus.EXPIRED,
                "ended_at": ctx.now,
                "next_action_at": None,
                "updated_at": ctx.now,
            }
            repository.update_lead(sql, row["id"], expired)
            repository.add_events(
                sql, [timeline_event(row, "expired", {"by": "expire_existing"}, ctx.now)]
            )
            enqueue_lead_event(sql, LEAD_ENDED, {**row, **expired}, ctx.now)
        return None
    if params.restart_schedule and owner.is_schedule and not params.update_only:
        # Restarting names the caller's lead on this schedule, finished or not.
        rows = repository.leads_in_scope(sql, *scope, live_only=False)
        return rows[0] if rows else None
    rule = duplicate_rule(owner, params, ctx)
    if rule is None:
        return None
    rows = repository.leads_in_scope(sql, *scope, created_since=rule.since)
    return rows[0] if rows else None


def _assign_numbers(
    sql: Sql,
    owner: LeadOwner,
    params: IntakeParams,
    lead: dict[str, Any],
    result: IntakeResult,
    events: list[tuple[str, dict[str, Any]]],
) -> None:
    """Reuse the lead's number when it has one, so a lead always sees the same caller ID."""
    wants_number = params.assign_trackdrive_number or params.assign_sms_number
    if (
        not wants_number
        and lead.get("trackdrive_number_id") is None
        and (lead.get("sms_number_id") is None)
    ):
        return  # most posts: no number asked for, none assigned before
    wanted = (
        ("voice", "trackdrive_number_id", "assign_trackdrive_number", "trackdrive_number_plain"),
        ("sms", "sms_number_id", "assign_sms_number", "sms_number_plain"),
    )
    for capability, column, flag, plain in wanted:
        if lead.get(column) is None and getattr(params, flag):
            number = repository.pool_number(sql, owner.company_id, capability)
            if number is None:
                raise TrackDriveError.field(flag, f"your company has no {capability} numbers")
            lead[column] = number["id"]
            repository.update_lead(sql, lead["id"], {column: number["id"]})
            events.append(
                ("number_assigned", {"capability": capability, "number": number["number"]})
            )
        setattr(result, plain, repository.number_plain(sql, lead.get(column)))


def _update_matching(
    sql: Sql,
    owner: LeadOwner,
    params: IntakeParams,
    lead: dict[str, Any],
    now: datetime,
) -> int:
    """Apply this post's data to every lead of the offer with the caller (all its schedules)."""
    assert params.caller_id is not None
    others = [
        row
        for row in repository.leads_of_offer(
            sql, owner.company_id, owner.offer_id, params.caller_id
        )
        if row["id"] != lead["id"]
    ]
    for row in others:
        repository.update_lead(
            sql, row["id"], {"tokens": {**row["tokens"], **params.tokens}, "updated_at": now}
        )
    repository.add_events(
        sql,
        [
            timeline_event(row, "updated", {"tokens": sorted(params.tokens), "by": "matching"}, now)
            for row in others
        ],
    )
    if params.apply_to_calls and params.tokens and others:
        repository.merge_call_tokens(sql, [row["id"] for row in others], params.tokens)
    return len(others)
