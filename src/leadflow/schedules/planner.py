"""The planner: given a lead, its schedule, its contact record and the time, what happens next.

A pure function, so every rule is testable in one line. The worker claims a due lead, asks
:func:`plan`, writes the decision and only then acts:

* :class:`RunAction` — run ``action`` now; afterwards the lead's cursor is ``index + 1``
  (unless ``callback``: a callback call leaves the cursor where it is).
* :class:`HoldUntil` — set the cursor to ``index`` and ``next_action_at`` to ``instant``.
* :class:`EndLead` — the lead ends with ``status``; the schedule's end actions run.

Choices and restarts only move the cursor, so the planner follows them itself; a wait becomes
a hold. Calls and texts never go to a suppressed contact and wait for the lead's calling hours.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from leadflow.models.lead import LeadStatus
from leadflow.schedules.actions import (
    OUTBOUND_TO_PHONE,
    Action,
    CallAction,
    ChoiceAction,
    RestartScheduleAction,
    WaitAction,
)
from leadflow.schedules.calling_hours import (
    LeadCallingRules,
    calling_rules,
    is_within_calling_hours,
    next_open_time,
)
from leadflow.schedules.conditions import choice_holds
from leadflow.schedules.config import CallingHours


@dataclass(frozen=True)
class LeadState:
    """What the planner reads of a lead (``contact_attempts`` counts calls placed)."""

    action_index: int = 0
    status: str = LeadStatus.SCHEDULED
    caller_id: str | None = None
    email: str | None = None
    tokens: Mapping[str, Any] = field(default_factory=dict)
    time_zone: str | None = None
    state_province: str | None = None
    contact_attempts: int = 0
    connected_calls: int = 0
    max_contact_attempts: int | None = None
    expires_at: datetime | None = None
    schedule_callback_at: datetime | None = None
    lead_priority: int | None = None
    sub_id: str | None = None
    traffic_source_id: int | None = None

    def facts(self) -> dict[str, Any]:
        """Tokens and ``lead.<name>`` state, as choice conditions see them."""
        facts: dict[str, Any] = dict(self.tokens)
        facts.update(
            {
                "lead.status": self.status,
                "lead.caller_id": self.caller_id,
                "lead.email": self.email,
                "lead.contact_attempts": self.contact_attempts,
                "lead.connected_calls": self.connected_calls,
                "lead.lead_priority": self.lead_priority,
                "lead.sub_id": self.sub_id,
                "lead.traffic_source_id": self.traffic_source_id,
            }
        )
        return facts


@dataclass(frozen=True)
class ScheduleState:
    actions: tuple[Action, ...]
    time_zone: str = "America/New_York"
    calling_hours: CallingHours = field(default_factory=CallingHours)


@dataclass(frozen=True)
class ContactState:
    """The suppression record of the lead's number (all false when it has none)."""

    blocked: bool = False
    opt_out: bool = False
    dnc: bool = False
    shared_dnc_lists: tuple[str, ...] = ()
    """Shared do-not-call lists holding the number, with versions (``leadflow.dnc``)."""


@dataclass(frozen=True)
class RunAction:
    index: int
    action: Action
    callback: bool = False


HoldReason = Literal["wait", "calling_hours"]


@dataclass(frozen=True)
class HoldUntil:
    """Sleep until ``instant`` (never past the lead's expiry or a callback due earlier)."""

    instant: datetime
    index: int
    reason: HoldReason = "wait"


@dataclass(frozen=True)
class EndLead:
    status: str
    reason: str


Decision = RunAction | HoldUntil | EndLead

DEFAULT_CALLBACK = CallAction(type="call")


def lead_rules(lead: LeadState, schedule: ScheduleState) -> LeadCallingRules:
    """The calling rules that apply to this lead under this schedule."""
    return calling_rules(
        lead.caller_id,
        lead.time_zone,
        lead.state_province,
        schedule.time_zone,
        schedule.calling_hours,
    )


def completed_status(lead: LeadState) -> str:
    """How a lead that ran out of actions is reported: connected, attempted or just done."""
    if lead.connected_calls > 0:
        return LeadStatus.COMPLETED_CONNECTED
    if lead.contact_attempts > 0:
        return LeadStatus.COMPLETED_ATTEMPTED
    return LeadStatus.COMPLETED


def _suppression(contact: ContactState) -> EndLead | None:
    if contact.blocked:
        return EndLead(LeadStatus.BLOCKED, "the number is blocked")
    if contact.opt_out:
        return EndLead(LeadStatus.OPT_OUT, "the number opted out")
    if contact.dnc:
        return EndLead(LeadStatus.DNC, "the number is on the do-not-call list")
    if contact.shared_dnc_lists:
        lists = ", ".join(contact.shared_dnc_lists)
        return EndLead(LeadStatus.DNC, f"the number is on the {lists} do-not-call list")
    return None


def _hold(
    lead: LeadState, instant: datetime, index: int, now: datetime, reason: HoldReason
) -> HoldUntil:
    """A hold never sleeps past the lead's expiry or a callback that falls due first."""
    wake = [instant]
    if lead.expires_at is not None:
        wake.append(lead.expires_at)
    if lead.schedule_callback_at is not None and lead.schedule_callback_at > now:
        wake.append(lead.schedule_callback_at)
    return HoldUntil(min(wake), index, reason)


def _to_phone(lead: LeadState, schedule: ScheduleState, now: datetime, run: RunAction) -> Decision:
    rules = lead_rules(lead, schedule)
    if is_within_calling_hours(rules, now):
        return run
    opens = next_open_time(rules, now)
    if opens is None:
        return EndLead(LeadStatus.FAILURE, "the lead's calling hours never open")
    return _hold(lead, opens, run.index, now, "calling_hours")


def plan(
    lead: LeadState, schedule: ScheduleState, contact: ContactState, now: datetime
) -> Decision:
    """Decide the lead's next step at ``now`` (see the module docstring for the contract)."""
    if lead.status not in LeadStatus.LIVE:
        return EndLead(lead.status, "the lead has already ended")
    suppressed = _suppression(contact)
    if suppressed is not None:
        return suppressed
    if lead.expires_at is not None and lead.expires_at <= now:
        return EndLead(LeadStatus.EXPIRED, "the lead expired")
    if lead.max_contact_attempts is not None and (
        lead.contact_attempts >= lead.max_contact_attempts
    ):
        return EndLead(LeadStatus.EXCEEDED_MAX_CALLS, "the lead reached its maximum calls")
    if lead.schedule_callback_at is not None and lead.schedule_callback_at <= now:
        callback = next(
            (a for a in schedule.actions if isinstance(a, CallAction)), DEFAULT_CALLBACK
        )
        run = RunAction(lead.action_index, callback, callback=True)
        return _to_phone(lead, schedule, now, run)
    return _walk(lead, schedule, now)


def _walk(lead: LeadState, schedule: ScheduleState, now: datetime) -> Decision:
    """Follow choices and restarts from the cursor to the first action that does something."""
    actions = schedule.actions
    index = max(lead.action_index, 0)
    facts: dict[str, Any] | None = None
    for _ in range(len(actions) + 1):
        if index >= len(actions):
            return EndLead(completed_status(lead), "the lead finished the schedule")
        action = actions[index]
        if isinstance(action, RestartScheduleAction):
            index = 0
        elif isinstance(action, ChoiceAction):
            facts = facts if facts is not None else lead.facts()
            jump = action.then if choice_holds(action, facts) else action.otherwise
            if jump == "exit":
                return EndLead(completed_status(lead), f"choice at action {index} exited")
            index = index + 1 if jump == "next" else jump
        elif isinstance(action, WaitAction):
            resume = now + timedelta(seconds=action.total_seconds)
            return _hold(lead, resume, index + 1, now, "wait")
        elif isinstance(action, OUTBOUND_TO_PHONE):
            return _to_phone(lead, schedule, now, RunAction(index, action))
        else:
            return RunAction(index, action)
    return EndLead(LeadStatus.FAILURE, "the schedule's choices loop without doing anything")
