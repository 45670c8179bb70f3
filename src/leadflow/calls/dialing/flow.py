"""make_call from decision to answer, as every caller of it runs it: the API endpoint and
the web app's "call now" button.

This is the edge: it commits. The decision is one group-committed unit (guards, locks, the
call row); the dial happens only after that commit; the provider's answer is written in a
second unit. A refused call raises from the first unit, so nothing is written or dialed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from leadflow.app_state import AppState
from leadflow.cadence.dispatch import send_all
from leadflow.cadence.effects import PlaceCall
from leadflow.calls.dialing.repository import dialing_lock_key
from leadflow.calls.dialing.schemas import MakeCallParams
from leadflow.calls.dialing.service import DecidedCall, DialContext, decide_call, record_answer
from leadflow.db.group_commit import GroupCommitter
from leadflow.db.statements import Sql
from leadflow.models import Call
from leadflow.settings import Settings
from leadflow.worker.context import WorkerContext


@dataclass(frozen=True)
class PlacedCall:
    call: Call
    decided: DecidedCall


async def place_call(state: AppState, company_id: int, params: MakeCallParams) -> PlacedCall:
    """Decide, commit, dial, record; ``state`` is the app's (settings, clock, committer and
    the worker context whose voice channel dials)."""
    settings: Settings = state.settings
    worker: WorkerContext = state.worker_context
    committer: GroupCommitter = state.committer
    ctx = DialContext(
        company_id=company_id,
        now=state.clock.now(),
        default_caller_id=settings.default_caller_id,
        rng=random.Random(),
        dnc=worker.dnc,
    )
    if worker.dnc is not None:
        await worker.dnc.refresh()

    def decide(sql: Sql) -> DecidedCall:
        return decide_call(sql, params, ctx)

    decided = await committer.run(decide, dialing_lock_key(company_id))
    effect = PlaceCall(decided.call_id, decided.outbound)
    sent = await send_all([effect], worker.channels, worker.http, settings)
    answered_at = state.clock.now()

    def record(sql: Sql) -> Call:
        return record_answer(sql, sent, decided.call_id, answered_at)

    return PlacedCall(await committer.run(record), decided)
