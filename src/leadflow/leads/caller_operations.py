"""TrackDrive's per-caller operations: ``caller_opt_out``, ``caller_remove`` and
``caller_move_to_end_of_schedule``, each addressed by caller ID within a lead token's scope."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from leadflow.contacts import repository as contacts
from leadflow.db.statements import Row, Sql
from leadflow.distributions.repository import router_targets
from leadflow.kit.errors import TrackDriveError
from leadflow.leads import repository
from leadflow.leads.owner import LeadOwner
from leadflow.leads.repository import timeline_event
from leadflow.leads.service import take_duplicate_lock
from leadflow.models import LeadStatus
from leadflow.models.schedule import CONTACT_CALLER
from leadflow.webhooks.lead_events import LEAD_ENDED, LEAD_OPTED_OUT, enqueue_lead_event


def _scopes(sql: Sql, owner: LeadOwner) -> list[LeadOwner]:
    """A router holds no leads: a lead posted with its token lives in the target schedule its
    distribution chose, so the router's token reaches the leads of every schedule it feeds."""
    if not owner.is_router or owner.schedule_id is None:
        return [owner]
    return [
        replace(owner, schedule_id=schedule_id, offer_id=offer_id, schedule_type=CONTACT_CALLER)
        for schedule_id, offer_id in router_targets(sql, owner.company_id, owner.schedule_id)
    ]


def _leads_for(sql: Sql, owner: LeadOwner, caller_id: str) -> list[dict[str, Any]]:
    rows: list[Row] = []
    # Locks in schedule order, as intake takes one at a time: no two operations wait in a circle.
    for scope in _scopes(sql, owner):
        take_duplicate_lock(sql, scope, caller_id)
        rows += repository.leads_in_scope(
            sql, scope.company_id, scope.offer_id, scope.schedule_id, caller_id, live_only=False
        )
    rows.sort(key=lambda row: row["id"], reverse=True)
    if not rows:
        raise TrackDriveError(
            404, {"caller_id": [f"no lead with caller ID {caller_id}"]}, "not_found"
        )
    return [dict(row) for row in rows]


def opt_out(sql: Sql, owner: LeadOwner, caller_id: str, now: datetime) -> dict[str, Any]:
    """Opt the number out company-wide and end every live lead that has it, on any schedule."""
    scoped = _leads_for(sql, owner, caller_id)
    contacts.set_contact_state(sql, owner.company_id, caller_id, now, opt_out=True, opt_out_at=now)
    ended = repository.live_leads_of_number(sql, owner.company_id, caller_id)
    changes = {
        "status": LeadStatus.OPT_OUT,
        "next_action_at": None,
        "ended_at": now,
        "updated_at": now,
    }
    for row in ended:
        repository.update_lead(sql, row["id"], changes)
    ended_ids = {row["id"] for row in ended}
    repository.add_events(
        sql,
        [timeline_event(row, "opted_out", {"by": "caller_opt_out"}, now) for row in ended],
    )
    for row in ended:
        enqueue_lead_event(sql, LEAD_OPTED_OUT, {**row, **changes}, now, contact={"opt_out": True})
    lead = scoped[0]
    if lead["id"] in ended_ids:
        lead.update(changes)
    return lead


def remove(sql: Sql, owner: LeadOwner, caller_id: str, now: datetime) -> dict[str, Any]:
    """No further action on the scope's live leads for this caller."""
    scoped = _leads_for(sql, owner, caller_id)
    changes = {
        "status": LeadStatus.DISABLED,
        "next_action_at": None,
        "ended_at": now,
        "updated_at": now,
    }
    live = [lead for lead in scoped if lead["status"] in LeadStatus.LIVE]
    for lead in live:
        repository.update_lead(sql, lead["id"], changes)
        lead.update(changes)
    repository.add_events(sql, [timeline_event(lead, "removed", {}, now) for lead in live])
    for lead in live:
        enqueue_lead_event(sql, LEAD_ENDED, lead, now)
    return scoped[0]


def move_to_end_of_schedule(
    sql: Sql, owner: LeadOwner, caller_id: str, now: datetime
) -> dict[str, Any]:
    """Skip the remaining actions; the worker then runs the end-of-schedule actions at once."""
    scoped = _leads_for(sql, owner, caller_id)
    live = [lead for lead in scoped if lead["status"] in LeadStatus.LIVE]
    if not live:
        raise TrackDriveError(
            404, {"caller_id": [f"no active lead with caller ID {caller_id}"]}, "not_found"
        )
    for lead in live:
        actions = repository.schedule_action_count(sql, lead["schedule_id"])
        changes = {"action_index": actions, "next_action_at": now, "updated_at": now}
        repository.update_lead(sql, lead["id"], changes)
        lead.update(changes)
    repository.add_events(
        sql, [timeline_event(lead, "moved_to_end_of_schedule", {}, now) for lead in live]
    )
    return live[0]
