"""What the lead page's buttons do: the API's own caller operations and make_call, run the
way their endpoints run them (one group-committed unit; a call dialed only after its commit).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import Request

from leadflow.app_state import app_state
from leadflow.calls.dialing.flow import place_call
from leadflow.calls.dialing.schemas import parse_make_call
from leadflow.db.group_commit import GroupCommitter
from leadflow.db.statements import Sql
from leadflow.leads import caller_operations
from leadflow.leads.owner import LeadOwner
from leadflow.leads.rules import lock_key
from leadflow.models import Lead

Operation = Callable[[Sql, LeadOwner, str, datetime], dict[str, Any]]

OPERATIONS: dict[str, tuple[Operation, str]] = {
    "opt_out": (caller_operations.opt_out, "The number is opted out company-wide."),
    "remove": (caller_operations.remove, "The lead is removed: no further action runs."),
    "move_to_end": (
        caller_operations.move_to_end_of_schedule,
        "The lead skips to the end of its schedule.",
    ),
}


async def run_caller_operation(request: Request, lead: Lead, region: str, name: str) -> None:
    """``caller_opt_out`` / ``caller_remove`` / ``caller_move_to_end_of_schedule`` for the
    lead's caller in the lead's schedule (or offer), as the lead-token endpoints do it."""
    operation = OPERATIONS[name][0]
    assert lead.caller_id is not None
    owner = LeadOwner(
        company_id=lead.company_id,
        offer_id=lead.offer_id,
        schedule_id=lead.schedule_id,
        region=region,
    )
    number = lead.caller_id
    now = app_state(request).clock.now()
    committer: GroupCommitter = app_state(request).committer

    def unit(sql: Sql) -> dict[str, Any]:
        return operation(sql, owner, number, now)

    await committer.run(unit, lock_key(owner, number))


async def call_now(request: Request, lead: Lead) -> None:
    """make_call for this lead: guards, the call row, the commit, then the dial."""
    await place_call(
        app_state(request), lead.company_id, parse_make_call({"lead_id": str(lead.id)})
    )
