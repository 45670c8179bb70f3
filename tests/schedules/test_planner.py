"""The planner decides each lead's next step from its state, its schedule and the time."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from leadflow.schedules.actions import parse_actions
from leadflow.schedules.planner import (
    DEFAULT_CALLBACK,
    ContactState,
    EndLead,
    HoldUntil,
    LeadState,
    RunAction,
    ScheduleState,
    plan,
)

NOW = datetime(2026, 1, 5, 15, tzinfo=UTC)  # Monday 10:00 in New York
NIGHT = datetime(2026, 1, 6, 3, tzinfo=UTC)  # Monday 22:00 in New York
TUESDAY_OPEN = datetime(2026, 1, 6, 13, tzinfo=UTC)  # Tuesday 08:00 in New York
NEW_YORK = "+12125550100"
LEAD = LeadState(caller_id=NEW_YORK, email="ann@example.com", tokens={"first_name": "Ann"})
CLEAN = ContactState()


def schedule(*actions: dict[str, Any]) -> ScheduleState:
    return ScheduleState(actions=parse_actions(list(actions)))


CALL = {"type": "call"}
SMS = {"type": "sms", "body": "Hi [first_name]"}
EMAIL = {"type": "email", "subject": "Hi", "body": "Hello"}
WEBHOOK = {"type": "webhook", "url": "https://example.test/hook"}


def test_first_action_runs_now() -> None:
    plans = schedule(CALL, SMS)
    assert plan(LEAD, plans, CLEAN, NOW) == RunAction(0, plans.actions[0])


def test_cursor_picks_the_action() -> None:
    plans = schedule(CALL, SMS)
    assert plan(replace(LEAD, action_index=1), plans, CLEAN, NOW) == RunAction(1, plans.actions[1])


def test_opted_out_caller_is_never_dialed() -> None:
    decision = plan(LEAD, schedule(CALL), ContactState(opt_out=True), NOW)
    assert decision == EndLead("opt_out", "the number opted out")


def test_blocked_caller_is_never_texted() -> None:
    decision = plan(LEAD, schedule(SMS), ContactState(blocked=True), NOW)
    assert isinstance(decision, EndLead)
    assert decision.status == "blocked"


def test_dnc_caller_ends_even_before_an_email() -> None:
    decision = plan(LEAD, schedule(EMAIL), ContactState(dnc=True), NOW)
    assert isinstance(decision, EndLead)
    assert decision.status == "dnc"


def test_expired_lead_ends_expired() -> None:
    decision = plan(replace(LEAD, expires_at=NOW), schedule(CALL), CLEAN, NOW)
    assert isinstance(decision, EndLead)
    assert decision.status == "expired"


def test_max_contact_attempts_ends_lead() -> None:
    lead = replace(LEAD, contact_attempts=3, max_contact_attempts=3)
    decision = plan(lead, schedule(CALL, CALL, CALL, CALL), CLEAN, NOW)
    assert isinstance(decision, EndLead)
    assert decision.status == "exceeded_max_calls"


def test_lead_past_last_action_completes() -> None:
    decision = plan(replace(LEAD, action_index=1), schedule(EMAIL), CLEAN, NOW)
    assert decision == EndLead("completed", "the lead finished the schedule")


def test_lead_with_calls_completes_attempted() -> None:
    lead = replace(LEAD, action_index=1, contact_attempts=1)
    decision = plan(lead, schedule(CALL), CLEAN, NOW)
    assert isinstance(decision, EndLead)
    assert decision.status == "completed_attempted"


def test_lead_with_a_connected_call_completes_connected() -> None:
    lead = replace(LEAD, action_index=1, contact_attempts=2, connected_calls=1)
    decision = plan(lead, schedule(CALL), CLEAN, NOW)
    assert isinstance(decision, EndLead)
    assert decision.status == "completed_connected"


def test_empty_schedule_completes_at_once() -> None:
    decision = plan(LEAD, schedule(), CLEAN, NOW)
    assert isinstance(decision, EndLead)
    assert decision.status == "completed"


def test_ended_lead_stays_ended() -> None:
    decision = plan(replace(LEAD, status="opt_out"), schedule(CALL), CLEAN, NOW)
    assert decision == EndLead("opt_out", "the lead has already ended")


def test_wait_holds_until_it_is_over_and_moves_on() -> None:
    decision = plan(LEAD, schedule({"type": "wait", "hours": 2}, CALL), CLEAN, NOW)
    assert decision == HoldUntil(NOW + timedelta(hours=2), 1)


def test_wait_wakes_for_an_earlier_callback() -> None:
    callback = NOW + timedelta(minutes=30)
    lead = replace(LEAD, schedule_callback_at=callback)
    decision = plan(lead, schedule({"type": "wait", "days": 1}, CALL), CLEAN, NOW)
    assert decision == HoldUntil(callback, 1)


def test_wait_never_sleeps_past_expiry() -> None:
    expiry = NOW + timedelta(hours=1)
    lead = replace(LEAD, expires_at=expiry)
    decision = plan(lead, schedule({"type": "wait", "days": 1}, CALL), CLEAN, NOW)
    assert decision == HoldUntil(expiry, 1)


def test_call_outside_hours_is_held_until_they_open() -> None:
    assert plan(LEAD, schedule(CALL), CLEAN, NIGHT) == HoldUntil(TUESDAY_OPEN, 0, "calling_hours")


def test_sms_outside_hours_is_held_until_they_open() -> None:
    assert plan(LEAD, schedule(SMS), CLEAN, NIGHT) == HoldUntil(TUESDAY_OPEN, 0, "calling_hours")


def test_email_is_not_held_by_calling_hours() -> None:
    plans = schedule(EMAIL)
    assert plan(LEAD, plans, CLEAN, NIGHT) == RunAction(0, plans.actions[0])


def test_webhook_is_not_held_by_calling_hours() -> None:
    plans = schedule(WEBHOOK)
    assert plan(LEAD, plans, CLEAN, NIGHT) == RunAction(0, plans.actions[0])


def test_florida_lead_is_held_at_half_past_eight() -> None:
    half_past_eight = datetime(2026, 1, 6, 1, 30, tzinfo=UTC)
    miami = replace(LEAD, caller_id="+13055550100")
    assert plan(miami, schedule(CALL), CLEAN, half_past_eight) == HoldUntil(
        TUESDAY_OPEN, 0, "calling_hours"
    )


UK_MOBILE = "+447911123456"
LONDON_0804 = datetime(2026, 1, 6, 8, 4, tzinfo=UTC)  # Tuesday 08:04 in London, 03:04 in New York


def test_uk_mobile_lead_is_called_at_eight_past_eight_london_time() -> None:
    uk = replace(LEAD, caller_id=UK_MOBILE)
    plans = schedule(CALL)
    assert plan(uk, plans, CLEAN, LONDON_0804) == RunAction(0, plans.actions[0])


def test_uk_mobile_lead_is_held_until_eight_london_time_not_new_york() -> None:
    uk = replace(LEAD, caller_id=UK_MOBILE)
    before_eight = datetime(2026, 1, 6, 7, 30, tzinfo=UTC)  # 07:30 in London
    assert plan(uk, schedule(CALL), CLEAN, before_eight) == HoldUntil(
        datetime(2026, 1, 6, 8, tzinfo=UTC), 0, "calling_hours"
    )


def test_denver_lead_is_held_until_eight_denver_time_not_new_york() -> None:
    denver = replace(LEAD, caller_id="+17205550100")
    half_past_seven = datetime(2026, 1, 5, 14, 30, tzinfo=UTC)  # 07:30 Denver, 09:30 New York
    assert plan(denver, schedule(CALL), CLEAN, half_past_seven) == HoldUntil(
        datetime(2026, 1, 5, 15, tzinfo=UTC), 0, "calling_hours"
    )


def test_toll_free_lead_follows_the_schedules_zone() -> None:
    toll_free = replace(LEAD, caller_id="+18004506787")
    plans = schedule(CALL)
    chicago = ScheduleState(actions=plans.actions, time_zone="America/Chicago")
    seven_chicago = datetime(2026, 1, 6, 13, tzinfo=UTC)  # 08:00 New York, 07:00 Chicago
    assert plan(toll_free, chicago, CLEAN, seven_chicago) == HoldUntil(
        datetime(2026, 1, 6, 14, tzinfo=UTC), 0, "calling_hours"
    )


def test_due_callback_runs_the_schedules_call() -> None:
    plans = schedule({"type": "call", "connect_to": "+17193132645"}, EMAIL)
    lead = replace(LEAD, action_index=1, schedule_callback_at=NOW - timedelta(minutes=1))
    assert plan(lead, plans, CLEAN, NOW) == RunAction(1, plans.actions[0], callback=True)


def test_due_callback_without_a_call_action_dials_the_lead() -> None:
    lead = replace(LEAD, schedule_callback_at=NOW)
    assert plan(lead, schedule(EMAIL), CLEAN, NOW) == RunAction(0, DEFAULT_CALLBACK, callback=True)


def test_due_callback_waits_for_calling_hours() -> None:
    lead = replace(LEAD, schedule_callback_at=NIGHT)
    assert plan(lead, schedule(EMAIL), CLEAN, NIGHT) == HoldUntil(TUESDAY_OPEN, 0, "calling_hours")


def test_future_callback_does_not_run_yet() -> None:
    plans = schedule(EMAIL)
    lead = replace(LEAD, schedule_callback_at=NOW + timedelta(hours=1))
    assert plan(lead, plans, CLEAN, NOW) == RunAction(0, plans.actions[0])


def _choice(then: int | str, otherwise: int | str = "next") -> dict[str, Any]:
    condition = {"field": "first_name", "operator": "equals", "value": "ann"}
    return {"type": "choice", "conditions": [condition], "then": then, "else": otherwise}


def test_choice_that_holds_jumps_to_then() -> None:
    plans = schedule(_choice(2), CALL, EMAIL)
    assert plan(LEAD, plans, CLEAN, NOW) == RunAction(2, plans.actions[2])


def test_choice_that_fails_goes_to_else() -> None:
    plans = schedule(_choice(2), CALL, EMAIL)
    lead = replace(LEAD, tokens={"first_name": "Bob"})
    assert plan(lead, plans, CLEAN, NOW) == RunAction(1, plans.actions[1])


def test_choice_can_exit() -> None:
    decision = plan(LEAD, schedule(_choice("exit"), CALL), CLEAN, NOW)
    assert decision == EndLead("completed", "choice at action 0 exited")


def test_choice_on_lead_state() -> None:
    condition = {"field": "lead.contact_attempts", "operator": "greater_than", "value": 2}
    choice = {"type": "choice", "conditions": [condition], "then": "exit"}
    plans = schedule(choice, CALL)
    assert plan(replace(LEAD, contact_attempts=1), plans, CLEAN, NOW) == RunAction(
        1, plans.actions[1]
    )


def test_choices_that_loop_fail_the_lead() -> None:
    decision = plan(LEAD, schedule(_choice(1), _choice(0)), CLEAN, NOW)
    assert decision == EndLead("failure", "the schedule's choices loop without doing anything")


def test_restart_goes_back_to_the_first_action() -> None:
    plans = schedule(CALL, {"type": "wait", "days": 1}, {"type": "restart_schedule"})
    assert plan(replace(LEAD, action_index=2), plans, CLEAN, NOW) == RunAction(0, plans.actions[0])


def test_other_actions_run_for_the_worker() -> None:
    plans = schedule({"type": "modify_lead", "set_tokens": {"stage": "x"}}, {"type": "opt_out"})
    assert plan(LEAD, plans, CLEAN, NIGHT) == RunAction(0, plans.actions[0])


def test_hold_for_hours_never_sleeps_past_expiry() -> None:
    expiry = NIGHT + timedelta(hours=2)
    lead = replace(LEAD, expires_at=expiry)
    assert plan(lead, schedule(CALL), CLEAN, NIGHT) == HoldUntil(expiry, 0, "calling_hours")
