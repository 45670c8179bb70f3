"""Properties of the planner over any schedule, lead, contact and clock (hypothesis).

The two promises that matter most to the people being called: a suppressed number is never
called or texted, and nobody is called or texted outside their calling hours.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from leadflow.schedules.actions import (
    OUTBOUND_TO_PHONE,
    Action,
    AddToScheduleAction,
    BlockAction,
    CallAction,
    ChoiceAction,
    EmailAction,
    ModifyLeadAction,
    OptOutAction,
    RestartScheduleAction,
    SmsAction,
    WaitAction,
    WebhookAction,
)
from leadflow.schedules.calling_hours import (
    LeadCallingRules,
    calling_rules,
    is_within_calling_hours,
    next_open_time,
)
from leadflow.schedules.config import WEEKDAYS, CallingHours, DayHours
from leadflow.schedules.planner import (
    ContactState,
    Decision,
    EndLead,
    HoldUntil,
    LeadState,
    RunAction,
    ScheduleState,
    lead_rules,
    plan,
)

NUMBERS = [
    None,
    "+12125550100",  # New York
    "+13055550100",  # Florida
    "+14055550100",  # Oklahoma
    "+17193132645",  # Colorado
    "+12065550100",  # Washington
    "+18085550100",  # Hawaii
    "+12055550100",  # Alabama
    "+14015550100",  # Rhode Island
    "+18004506787",  # toll-free
    "+447911123456",  # United Kingdom
    "not a number",
]
ZONES = [None, "America/Los_Angeles", "Pacific/Guam", "Europe/Berlin", "Eastern", "Nope/Zone"]
STATES = [None, "FL", "Texas", "ok", "Nowhere"]

instants = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
)
minutes = st.integers(min_value=0, max_value=24 * 60)


@st.composite
def day_hours(draw: st.DrawFn) -> DayHours:
    if draw(st.booleans().map(lambda b: b and draw(st.integers(0, 3)) == 0)):
        return DayHours(closed=True)
    start, end = sorted(draw(st.lists(minutes, min_size=2, max_size=2, unique=True)))
    return DayHours(
        open=f"{start // 60:02d}{start % 60:02d}", close=f"{end // 60:02d}{end % 60:02d}"
    )


@st.composite
def calling_hours(draw: st.DrawFn) -> CallingHours:
    if draw(st.booleans()):
        return CallingHours()
    days = {day: draw(day_hours()) for day in WEEKDAYS}
    if all(d.closed for d in days.values()):
        days["monday"] = DayHours()
    return CallingHours(**days)


jumps: st.SearchStrategy[Any] = st.one_of(
    st.integers(min_value=0, max_value=8), st.sampled_from(["exit", "next"])
)
conditions = st.fixed_dictionaries(
    {
        "field": st.sampled_from(["first_name", "age", "lead.contact_attempts", "lead.status"]),
        "operator": st.sampled_from(["equals", "not_equals", "contains"]),
        "value": st.sampled_from(["ann", "1", "running"]),
    }
)
phone_actions: st.SearchStrategy[Action] = st.one_of(
    st.builds(CallAction, type=st.just("call")),
    st.builds(SmsAction, type=st.just("sms"), body=st.just("Hi [first_name]")),
)
actions: st.SearchStrategy[Action] = st.one_of(
    phone_actions,
    phone_actions,
    phone_actions,
    st.builds(
        WaitAction,
        type=st.just("wait"),
        seconds=st.integers(1, 100_000),
        days=st.integers(0, 3),
    ),
    st.builds(CallAction, type=st.just("call")),
    st.builds(SmsAction, type=st.just("sms"), body=st.just("Hi [first_name]")),
    st.builds(EmailAction, type=st.just("email"), subject=st.just("s"), body=st.just("b")),
    st.builds(WebhookAction, type=st.just("webhook"), url=st.just("https://x.test")),
    st.builds(
        lambda conds, then, otherwise: ChoiceAction.model_validate(
            {"type": "choice", "conditions": conds, "then": then, "else": otherwise}
        ),
        st.lists(conditions, min_size=1, max_size=3),
        jumps,
        jumps,
    ),
    st.builds(AddToScheduleAction, type=st.just("add_to_schedule"), schedule_id=st.just(2)),
    st.builds(RestartScheduleAction, type=st.just("restart_schedule")),
    st.builds(ModifyLeadAction, type=st.just("modify_lead"), set_tokens=st.just({"stage": "x"})),
    st.builds(OptOutAction, type=st.just("opt_out")),
    st.builds(BlockAction, type=st.just("block")),
)
schedules = st.builds(
    ScheduleState,
    actions=st.lists(actions, max_size=8).map(tuple),
    time_zone=st.sampled_from(["America/New_York", "America/Chicago", "Asia/Tokyo", "UTC"]),
    calling_hours=calling_hours(),
)
rarely = st.integers(min_value=0, max_value=7).map(lambda n: n == 7)
contacts = st.builds(ContactState, blocked=rarely, opt_out=rarely, dnc=rarely)


@st.composite
def leads(draw: st.DrawFn, now: datetime, length: int) -> LeadState:
    def maybe_near() -> datetime | None:
        offset = draw(st.integers(min_value=-3 * 86400, max_value=10 * 86400))
        return draw(st.sampled_from([None, None, now + timedelta(seconds=offset)]))

    return LeadState(
        action_index=draw(st.integers(min_value=0, max_value=length)),
        status=draw(st.sampled_from(["scheduled", "scheduled", "running", "waiting", "opt_out"])),
        caller_id=draw(st.sampled_from(NUMBERS)),
        tokens={"first_name": draw(st.sampled_from(["Ann", "Bob", ""])), "age": "1"},
        time_zone=draw(st.sampled_from(ZONES)),
        state_province=draw(st.sampled_from(STATES)),
        contact_attempts=draw(st.integers(min_value=0, max_value=5)),
        connected_calls=draw(st.integers(min_value=0, max_value=2)),
        max_contact_attempts=draw(st.sampled_from([None, None, 3, 10])),
        expires_at=maybe_near(),
        schedule_callback_at=maybe_near(),
    )


@st.composite
def situations(draw: st.DrawFn) -> tuple[LeadState, ScheduleState, ContactState, datetime]:
    now = draw(instants)
    schedule = draw(schedules)
    return draw(leads(now, len(schedule.actions))), schedule, draw(contacts), now


def reaches_phone(decision: Decision) -> bool:
    return isinstance(decision, RunAction) and isinstance(decision.action, OUTBOUND_TO_PHONE)


@settings(max_examples=400, deadline=None)
@given(situations())
def test_suppressed_contact_is_never_called_or_texted(
    situation: tuple[LeadState, ScheduleState, ContactState, datetime],
) -> None:
    lead, schedule, contact, now = situation
    decision = plan(lead, schedule, contact, now)
    if contact.blocked or contact.opt_out or contact.dnc:
        assert not reaches_phone(decision)
        assert isinstance(decision, EndLead)


@settings(max_examples=400, deadline=None)
@given(situations())
def test_calls_and_texts_run_only_inside_the_leads_calling_hours(
    situation: tuple[LeadState, ScheduleState, ContactState, datetime],
) -> None:
    lead, schedule, contact, now = situation
    decision = plan(lead, schedule, contact, now)
    if reaches_phone(decision):
        assert is_within_calling_hours(lead_rules(lead, schedule), now)


@settings(max_examples=400, deadline=None)
@given(situations())
def test_holds_are_in_the_future_and_land_in_calling_hours(
    situation: tuple[LeadState, ScheduleState, ContactState, datetime],
) -> None:
    lead, schedule, contact, now = situation
    decision = plan(lead, schedule, contact, now)
    if not isinstance(decision, HoldUntil):
        return
    assert decision.instant > now
    woken_early = decision.instant in (lead.expires_at, lead.schedule_callback_at)
    if decision.reason == "calling_hours" and not woken_early:
        assert is_within_calling_hours(lead_rules(lead, schedule), decision.instant)


@st.composite
def rules(draw: st.DrawFn) -> LeadCallingRules:
    return calling_rules(
        draw(st.sampled_from(NUMBERS)),
        draw(st.sampled_from(ZONES)),
        draw(st.sampled_from(STATES)),
        "America/New_York",
        draw(calling_hours()),
    )


@settings(max_examples=400, deadline=None)
@given(rules(), instants)
def test_next_open_time_is_the_exact_instant_hours_open(
    lead_rules: LeadCallingRules, now: datetime
) -> None:
    opens = next_open_time(lead_rules, now)
    if opens is None:
        return
    assert opens >= now
    assert is_within_calling_hours(lead_rules, opens)
    if opens > now:
        assert not is_within_calling_hours(lead_rules, opens - timedelta(seconds=1))
