"""What the lead page's buttons do: the API's own caller operations and make_call, run the
way their endpoints run them (one group-committed unit; a call dialed only after its commit).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import Request

from leadflow.cadence.dispatch import send_all
from leadflow.cadence.effects import PlaceCall
from leadflow.db.group_commit import GroupCommitter
from leadflow.db.statements import Sql
from leadflow.dialing.repository import dialing_lock_key
from leadflow.dialing.schemas import parse_make_call
from leadflow.dialing.service import DecidedCall, DialContext, decide_call, record_answer
from leadflow.leads import caller_operations
from leadflow.leads.owner import LeadOwner
from leadflow.leads.service import lock_key
from leadflow.models import Lead
from leadflow.settings import Settings
from leadflow.worker.context import WorkerContext

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
    now = request.app.state.clock.now()
    committer: GroupCommitter = request.app.state.committer

    def unit(sql: Sql) -> dict[str, Any]:
        return operation(sql, owner, number, now)

    await committer.run(unit, lock_key(owner, number))


async def call_now(request: Request, lead: Lead) -> None:
    """make_call for this lead: guards, the call row, the commit, then the dial."""
    params = parse_make_call({"lead_id": str(lead.id)})
    settings: Settings = request.app.state.settings
    worker: WorkerContext = request.app.state.worker_context
    committer: GroupCommitter = request.app.state.committer
    ctx = DialContext(
        company_id=lead.company_id,
        now=request.app.state.clock.now(),
        default_caller_id=settings.default_caller_id,
        rng=random.Random(),
    )

    def decide(sql: Sql) -> DecidedCall:
        return decide_call(sql, params, ctx)

    decided = await committer.run(decide, dialing_lock_key(lead.company_id))
    sent = await send_all(
        [PlaceCall(decided.call_id, decided.outbound)], worker.channels, worker.http, settings
    )
    answered_at = request.app.state.clock.now()
    await committer.run(lambda sql: record_answer(sql, sent, decided.call_id, answered_at))
