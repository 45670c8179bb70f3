"""The guards make_call runs before it dials: pure functions over the state they need.

The service gathers a :class:`DialAttempt` (from the schedule, the caller ID available, the
company's CPS budget, the contact row, the last call to the number, the live leads for it and
the lead's calling hours), then :func:`check_all`
runs the guards in a fixed order and reports the first refusal. The order is part of the
contract: a caller who sends an invalid number to a paused schedule is told the schedule is
paused, because that is the first thing they must fix, and every process answers the same.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from leadflow.kit.errors import TrackDriveError
from leadflow.kit.phone import InvalidPhoneNumberError, to_e164
from leadflow.schedules.calling_hours import (
    LeadCallingRules,
    is_within_calling_hours,
    next_open_time,
)

SCHEDULE_INACTIVE = "schedule_inactive"
NO_CALLER_ID = "no_caller_id"
CPS_EXCEEDED = "cps_exceeded"
SUPPRESSED = "suppressed"
RECENTLY_DIALED = "recently_dialed"
INVALID_NUMBER = "invalid_number"
OUTSIDE_CALLING_HOURS = "outside_calling_hours"
DUPLICATE_LEAD = "duplicate_lead"
NO_MATCHING_DISTRIBUTION = "no_matching_distribution"

REDIAL_LOCK = timedelta(seconds=30)
"""The same number is never dialed twice within this window."""


@dataclass(frozen=True)
class GuardFailure:
    """Why a call was refused: a stable ``code`` for scripts, a ``message`` for people, and the
    request ``field`` the message belongs to in the TrackDrive error body."""

    code: str
    message: str
    field: str = "base"


@dataclass(frozen=True)
class ContactState:
    """The suppression state of the destination number. A number never seen is all False."""

    blocked: bool = False
    opt_out: bool = False
    dnc: bool = False
    """Marked do-not-call: with ``opt_out``, the company's internal list (``leadflow.dnc``)."""
    shared_dnc_lists: tuple[str, ...] = ()
    """Shared do-not-call lists that stop the call under the schedule's settings, as
    ``federal (version 3)``: listed, applying, and no exemption (``dnc.screening``)."""


@dataclass(frozen=True)
class DialAttempt:
    """Everything the guards need to decide one call, read before dialing.

    ``calls_this_second`` counts the company's calls already placed in the current second
    (shared through the database, so every process sees the same budget); ``last_dialed_at``
    is the last call to this number, or None; ``other_live_lead`` says another live lead for
    the number is being dialed at the same time. ``from_number`` is the caller ID the call
    would show (the lead's number, one of the company's voice numbers or the default), or None.
    ``calling_rules`` are the lead's calling hours, worked out by the cadence's own
    :func:`~leadflow.schedules.calling_hours.calling_rules`; None checks no hours (the
    service always gives them).
    """

    now: datetime
    to: str
    from_number: str | None = None
    calling_rules: LeadCallingRules | None = None
    schedule_paused: bool = False
    calls_this_second: int = 0
    calls_per_second: int = 10
    contact: ContactState = ContactState()
    last_dialed_at: datetime | None = None
    other_live_lead: bool = False
    region: str = "US"


Guard = Callable[[DialAttempt], GuardFailure | None]


def schedule_is_active(attempt: DialAttempt) -> GuardFailure | None:
    if attempt.schedule_paused:
        return GuardFailure(SCHEDULE_INACTIVE, "is paused; resume it to place calls", "schedule_id")
    return None


def has_caller_id(attempt: DialAttempt) -> GuardFailure | None:
    """A call needs a From number; carriers refuse or flag calls without one."""
    if not attempt.from_number:
        return GuardFailure(
            NO_CALLER_ID,
            "No caller ID to call from: add a voice number to the company or set "
            "LEADFLOW_DEFAULT_CALLER_ID",
        )
    return None


def within_calls_per_second(attempt: DialAttempt) -> GuardFailure | None:
    """A limit of 0 places no calls at all; there is no "unlimited" value, set it high."""
    if attempt.calls_this_second >= attempt.calls_per_second:
        return GuardFailure(
            CPS_EXCEEDED,
            f"Calls per second limit of {attempt.calls_per_second} reached; try again in a second",
        )
    return None


def not_suppressed(attempt: DialAttempt) -> GuardFailure | None:
    """Names the first reason found, so the caller knows which list to take the number off."""
    contact = attempt.contact
    if contact.blocked:
        reason = "is blocked"
    elif contact.opt_out:
        reason = "has opted out"
    elif contact.dnc:
        reason = "is on the do-not-call list"
    elif contact.shared_dnc_lists:
        reason = f"is on the {', '.join(contact.shared_dnc_lists)} do-not-call list"
    else:
        return None
    return GuardFailure(SUPPRESSED, reason, "to")


def not_recently_dialed(attempt: DialAttempt) -> GuardFailure | None:
    """Exactly 30 seconds after the last call the number may be dialed again. A last call in
    the future (clocks of two processes a little apart) counts as recent: refusing is safe."""
    if attempt.last_dialed_at is None:
        return None
    if attempt.now - attempt.last_dialed_at < REDIAL_LOCK:
        return GuardFailure(
            RECENTLY_DIALED,
            f"was dialed less than {int(REDIAL_LOCK.total_seconds())} seconds ago",
            "to",
        )
    return None


def number_is_valid(attempt: DialAttempt) -> GuardFailure | None:
    try:
        to_e164(attempt.to, attempt.region)
    except InvalidPhoneNumberError as exc:
        return GuardFailure(INVALID_NUMBER, str(exc), "to")
    return None


def within_calling_hours(attempt: DialAttempt) -> GuardFailure | None:
    """The cadence's rule, not a second one: the schedule's hours narrowed by the law, in every
    zone the lead may be in. The message says when they open next, to the second, in UTC."""
    rules = attempt.calling_rules
    if rules is None or is_within_calling_hours(rules, attempt.now):
        return None
    opens = next_open_time(rules, attempt.now)
    if opens is None:
        when = "they never open under this schedule's hours and the law"
    else:
        when = f"they open next at {opens.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}"
    return GuardFailure(OUTSIDE_CALLING_HOURS, f"is outside the lead's calling hours; {when}", "to")


def no_duplicate_lead(attempt: DialAttempt) -> GuardFailure | None:
    if attempt.other_live_lead:
        return GuardFailure(
            DUPLICATE_LEAD, "has another live lead being dialed at the same time", "to"
        )
    return None


GUARDS: tuple[Guard, ...] = (
    schedule_is_active,
    has_caller_id,
    within_calls_per_second,
    not_suppressed,
    not_recently_dialed,
    number_is_valid,
    within_calling_hours,
    no_duplicate_lead,
)
"""The guards in the order the contract fixes."""


def check_all(attempt: DialAttempt) -> GuardFailure | None:
    """The first guard that refuses the attempt, or None when the call may be placed."""
    for guard in GUARDS:
        failure = guard(attempt)
        if failure is not None:
            return failure
    return None


def no_matching_distribution() -> GuardFailure:
    """A router schedule none of whose distributions matched the submitted data."""
    return GuardFailure(
        NO_MATCHING_DISTRIBUTION,
        "is a router and none of its distributions matches the submitted data",
        "schedule_id",
    )


def as_error(failure: GuardFailure) -> TrackDriveError:
    """The 422 the endpoint raises: the message under its field, the code as ``error_code``."""
    return TrackDriveError.invalid({failure.field: [failure.message]}, failure.code)
