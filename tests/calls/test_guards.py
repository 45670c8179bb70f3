"""make_call's guards: each refusal with its exact code and message, and the order they run in."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from leadflow.calls.guards import (
    ContactState,
    DialAttempt,
    GuardFailure,
    as_error,
    check_all,
    no_matching_distribution,
)
from leadflow.schedules.calling_hours import calling_rules
from leadflow.schedules.config import CallingHours, DayHours

NOW = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)  # Monday 08:00 in Denver
DENVER = "+17193132645"
DENVER_RULES = calling_rules(DENVER, None, None, "America/New_York", CallingHours())
GOOD = DialAttempt(
    now=NOW,
    to=DENVER,
    from_number="+18005550100",
    calling_rules=DENVER_RULES,
    calls_this_second=0,
    calls_per_second=10,
)


def attempt(**changes: Any) -> DialAttempt:
    return replace(GOOD, **changes)


def test_a_call_that_breaks_no_rule_is_allowed() -> None:
    assert check_all(GOOD) is None


def test_paused_schedule_is_refused() -> None:
    assert check_all(attempt(schedule_paused=True)) == GuardFailure(
        "schedule_inactive", "is paused; resume it to place calls", "schedule_id"
    )


def test_paused_schedule_is_refused_before_any_other_guard() -> None:
    everything_wrong = attempt(
        schedule_paused=True,
        calls_this_second=10,
        contact=ContactState(blocked=True),
        last_dialed_at=NOW,
        to="123",
        other_live_lead=True,
        from_number=None,
        now=NOW - timedelta(hours=7),
    )
    failure = check_all(everything_wrong)
    assert failure is not None
    assert failure.code == "schedule_inactive"


def test_paused_schedule_with_an_invalid_number_reports_schedule_inactive() -> None:
    failure = check_all(attempt(schedule_paused=True, to="not a number"))
    assert failure is not None
    assert failure.code == "schedule_inactive"


def test_call_over_the_calls_per_second_limit_is_refused() -> None:
    assert check_all(attempt(calls_this_second=10, calls_per_second=10)) == GuardFailure(
        "cps_exceeded", "Calls per second limit of 10 reached; try again in a second", "base"
    )


def test_last_call_within_the_calls_per_second_limit_is_allowed() -> None:
    assert check_all(attempt(calls_this_second=9, calls_per_second=10)) is None


def test_calls_per_second_limit_of_zero_places_no_calls() -> None:
    failure = check_all(attempt(calls_this_second=0, calls_per_second=0))
    assert failure is not None
    assert failure.code == "cps_exceeded"


def test_cps_limit_is_checked_before_suppression() -> None:
    failure = check_all(attempt(calls_this_second=10, contact=ContactState(opt_out=True)))
    assert failure is not None
    assert failure.code == "cps_exceeded"


def test_blocked_contact_is_never_dialed() -> None:
    assert check_all(attempt(contact=ContactState(blocked=True))) == GuardFailure(
        "suppressed", "is blocked", "to"
    )


def test_opted_out_caller_is_never_dialed() -> None:
    assert check_all(attempt(contact=ContactState(opt_out=True))) == GuardFailure(
        "suppressed", "has opted out", "to"
    )


def test_contact_marked_dnc_is_never_dialed() -> None:
    assert check_all(attempt(contact=ContactState(dnc=True))) == GuardFailure(
        "suppressed", "is on the do-not-call list", "to"
    )


def test_suppression_is_checked_before_the_redial_lock() -> None:
    failure = check_all(attempt(contact=ContactState(dnc=True), last_dialed_at=NOW))
    assert failure is not None
    assert failure.code == "suppressed"


def test_number_dialed_29_seconds_ago_is_refused() -> None:
    recent = attempt(last_dialed_at=NOW - timedelta(seconds=29))
    assert check_all(recent) == GuardFailure(
        "recently_dialed", "was dialed less than 30 seconds ago", "to"
    )


def test_number_dialed_31_seconds_ago_is_allowed() -> None:
    assert check_all(attempt(last_dialed_at=NOW - timedelta(seconds=31))) is None


def test_number_dialed_exactly_30_seconds_ago_is_allowed() -> None:
    assert check_all(attempt(last_dialed_at=NOW - timedelta(seconds=30))) is None


def test_last_dial_stamped_ahead_of_this_clock_counts_as_recent() -> None:
    failure = check_all(attempt(last_dialed_at=NOW + timedelta(seconds=1)))
    assert failure is not None
    assert failure.code == "recently_dialed"


def test_redial_lock_is_checked_before_the_number_is_validated() -> None:
    failure = check_all(attempt(to="123", last_dialed_at=NOW))
    assert failure is not None
    assert failure.code == "recently_dialed"


def test_invalid_number_is_refused() -> None:
    assert check_all(attempt(to="+1555")) == GuardFailure(
        "invalid_number", "is not a valid phone number", "to"
    )


def test_text_that_is_no_number_is_refused() -> None:
    assert check_all(attempt(to="call me")) == GuardFailure(
        "invalid_number", "is not a phone number", "to"
    )


def test_blank_number_is_refused() -> None:
    assert check_all(attempt(to="  ")) == GuardFailure("invalid_number", "is blank", "to")


def test_national_number_is_read_in_the_company_region() -> None:
    assert check_all(attempt(to="(719) 313-2645")) is None
    assert check_all(attempt(to="020 7946 0958", region="GB")) is None


def test_number_with_another_live_lead_being_dialed_is_refused() -> None:
    assert check_all(attempt(other_live_lead=True)) == GuardFailure(
        "duplicate_lead", "has another live lead being dialed at the same time", "to"
    )


def test_invalid_number_is_reported_before_a_duplicate_lead() -> None:
    failure = check_all(attempt(to="+1555", other_live_lead=True))
    assert failure is not None
    assert failure.code == "invalid_number"


def test_call_without_a_caller_id_is_refused() -> None:
    assert check_all(attempt(from_number=None)) == GuardFailure(
        "no_caller_id",
        "No caller ID to call from: add a voice number to the company or set "
        "LEADFLOW_DEFAULT_CALLER_ID",
        "base",
    )


def test_missing_caller_id_is_reported_after_a_paused_schedule_and_before_the_rest() -> None:
    assert [
        failure.code if (failure := check_all(attempt(from_number=None, **wrong))) else None
        for wrong in ({"schedule_paused": True}, {"calls_this_second": 10}, {"to": "123"})
    ] == ["schedule_inactive", "no_caller_id", "no_caller_id"]


def test_denver_lead_at_one_in_the_morning_is_refused_until_eight() -> None:
    one_am_denver = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    assert check_all(attempt(now=one_am_denver)) == GuardFailure(
        "outside_calling_hours",
        "is outside the lead's calling hours; they open next at 2026-01-05T15:00:00Z",
        "to",
    )


def test_denver_lead_at_eight_in_the_morning_is_called() -> None:
    assert check_all(attempt(now=NOW)) is None


def test_denver_lead_at_nine_in_the_evening_is_refused() -> None:
    nine_pm_denver = datetime(2026, 1, 6, 4, 0, tzinfo=UTC)
    failure = check_all(attempt(now=nine_pm_denver))
    assert failure is not None
    assert failure.code == "outside_calling_hours"


def test_hours_that_never_open_say_so() -> None:
    sundays_only = CallingHours(
        **{day: DayHours(closed=True) for day in ("monday", "tuesday", "wednesday")},
        **{day: DayHours(closed=True) for day in ("thursday", "friday", "saturday")},
    )
    alabama = calling_rules("+12055550100", None, None, "America/Chicago", sundays_only)
    failure = check_all(attempt(to="+12055550100", calling_rules=alabama))
    assert failure is not None
    assert failure.message == (
        "is outside the lead's calling hours; they never open under this schedule's hours "
        "and the law"
    )


def test_calling_hours_are_checked_after_the_number_and_before_a_duplicate_lead() -> None:
    night = NOW - timedelta(hours=7)
    assert [
        failure.code if (failure := check_all(attempt(now=night, **wrong))) else None
        for wrong in ({"to": "+1555"}, {"other_live_lead": True})
    ] == ["invalid_number", "outside_calling_hours"]


def test_router_without_a_matching_distribution_has_its_own_code() -> None:
    assert no_matching_distribution() == GuardFailure(
        "no_matching_distribution",
        "is a router and none of its distributions matches the submitted data",
        "schedule_id",
    )


def test_guard_failure_becomes_a_422_with_its_error_code() -> None:
    error = as_error(GuardFailure("recently_dialed", "was dialed less than 30 seconds ago", "to"))
    assert error.status == 422
    assert error.body() == {
        "status": 422,
        "errors": {"to": ["was dialed less than 30 seconds ago"]},
        "error_code": "recently_dialed",
    }
