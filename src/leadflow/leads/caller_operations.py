"""TrackDrive's per-caller operations: ``caller_opt_out``, ``caller_remove`` and
``caller_move_to_end_of_schedule``, each addressed by caller ID within a lead token's scope."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from leadflow.contacts import repository as contacts
from leadflow.kit.errors import TrackDriveError
from leadflow.leads import repository
from leadflow.leads.owner import LeadOwner
from leadflow.leads.service import _event, lock_key, take_duplicate_lock
from leadflow.models import LeadStatus, Schedule


async def _leads_for(
    conn: AsyncConnection, owner: LeadOwner, caller_id: str
) -> list[dict[str, Any]]:
    await take_duplicate_lock(conn, lock_key(owner, caller_id))
    rows = await repository.leads_in_scope(
        conn, owner.company_id, owner.offer_id, owner.schedule_id, caller_id, live_only=False
    )
    if not rows:
        raise TrackDriveError(
            404, {"caller_id": [f"no lead with caller ID {caller_id}"]}, "not_found"
        )
    return [dict(row) for row in rows]


async def opt_out(
    conn: AsyncConnection, owner: LeadOwner, caller_id: str, now: datetime
) -> dict[str, Any]:
    """Opt the number out company-wide and end every live lead that has it, on any schedule."""
    scoped = await _leads_for(conn, owner, caller_id)
    await contacts.set_contact_state(
        conn, owner.company_id, caller_id, now, opt_out=True, opt_out_at=now
    )
    ended = await repository.live_leads_of_number(conn, owner.company_id, caller_id)
    changes = {
        "status": LeadStatus.OPT_OUT,
        "next_action_at": None,
        "ended_at": now,
        "updated_at": now,
    }
    for row in ended:
        await repository.update_lead(conn, row["id"], changes)
    ended_ids = {row["id"] for row in ended}
    await repository.add_events(
        conn, [_event(row, "opted_out", {"by": "caller_opt_out"}, now) for row in ended]
    )
    lead = scoped[0]
    if lead["id"] in ended_ids:
        lead.update(changes)
    return lead


async def remove(
    conn: AsyncConnection, owner: LeadOwner, caller_id: str, now: datetime
) -> dict[str, Any]:
    """No further action on the scope's live leads for this caller."""
    scoped = await _leads_for(conn, owner, caller_id)
    changes = {
        "status": LeadStatus.DISABLED,
        "next_action_at": None,
        "ended_at": now,
        "updated_at": now,
    }
    live = [lead for lead in scoped if lead["status"] in LeadStatus.LIVE]
    for lead in live:
        await repository.update_lead(conn, lead["id"], changes)
        lead.update(changes)
    await repository.add_events(conn, [_event(lead, "removed", {}, now) for lead in live])
    return scoped[0]


async def move_to_end_of_schedule(
    conn: AsyncConnection, owner: LeadOwner, caller_id: str, now: datetime
) -> dict[str, Any]:
    """Skip the remaining actions; the worker then runs the end-of-schedule actions at once."""
    scoped = await _leads_for(conn, owner, caller_id)
    live = [lead for lead in scoped if lead["status"] in LeadStatus.LIVE]
    if not live:
        raise TrackDriveError(
            404, {"caller_id": [f"no active lead with caller ID {caller_id}"]}, "not_found"
        )
    for lead in live:
        actions = await _action_count(conn, lead["schedule_id"])
        changes = {"action_index": actions, "next_action_at": now, "updated_at": now}
        await repository.update_lead(conn, lead["id"], changes)
        lead.update(changes)
    await repository.add_events(
        conn, [_event(lead, "moved_to_end_of_schedule", {}, now) for lead in live]
    )
    return live[0]


async def _action_count(conn: AsyncConnection, schedule_id: int | None) -> int:
    if schedule_id is None:
        return 0
    actions = await conn.scalar(select(Schedule.actions).where(Schedule.id == schedule_id))
    return len(actions or [])
