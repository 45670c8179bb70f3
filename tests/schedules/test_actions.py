"""Action models accept what a schedule author means and name the field of every mistake."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from leadflow.schedules.actions import (
    ActionList,
    CallAction,
    ChoiceAction,
    EndActionList,
    WaitAction,
    WebhookAction,
    parse_actions,
)
from leadflow.schedules.config import CallingHours, DayHours, ScheduleConfig

ACTIONS = TypeAdapter(ActionList)
END_ACTIONS = TypeAdapter(EndActionList)


def errors_of(actions: list[dict[str, Any]]) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as caught:
        ACTIONS.validate_python(actions)
    return [(".".join(map(str, e["loc"])), e["msg"]) for e in caught.value.errors()]


def test_wait_parts_add_up() -> None:
    (wait,) = parse_actions([{"type": "wait", "days": 1, "hours": 2, "minutes": 3, "seconds": 4}])
    assert isinstance(wait, WaitAction)
    assert wait.total_seconds == 86400 + 7200 + 180 + 4


def test_zero_wait_is_refused() -> None:
    assert errors_of([{"type": "wait"}]) == [
        ("0.wait", "Value error, a wait must last at least one second")
    ]


def test_call_destination_is_normalised_to_e164() -> None:
    (call,) = parse_actions([{"type": "call", "connect_to": "(719) 313-2645"}])
    assert isinstance(call, CallAction)
    assert call.connect_to == "+17193132645"


def test_call_to_both_number_and_buyer_is_refused() -> None:
    errors = errors_of([{"type": "call", "connect_to": "+17193132645", "buyer_id": 3}])
    assert errors == [("0.call", "Value error, give connect_to or buyer_id, not both")]


def test_call_to_bad_number_names_the_field() -> None:
    assert errors_of([{"type": "call", "connect_to": "123"}])[0][0] == "0.call.connect_to"


def test_unknown_action_type_is_refused() -> None:
    assert errors_of([{"type": "fax"}])[0][0] == "0"


def test_unknown_field_is_refused() -> None:
    assert errors_of([{"type": "sms", "body": "hi", "bdy": "x"}])[0][0] == "0.sms.bdy"


def test_sms_with_broken_template_names_the_field() -> None:
    (path, message) = errors_of([{"type": "sms", "body": "Hi {{ first_name"}])[0]
    assert path == "0.sms.body"
    assert "line 1" in message


def test_sms_with_escape_is_refused() -> None:
    (path, message) = errors_of([{"type": "sms", "body": "{{ ''.__class__ }}"}])[0]
    assert path == "0.sms.body"
    assert "not allowed" in message


def test_email_needs_valid_from_address() -> None:
    action = {"type": "email", "subject": "s", "body": "b", "from_address": "nope"}
    assert errors_of([action])[0][0] == "0.email.from_address"


def test_webhook_method_is_case_insensitive() -> None:
    (hook,) = parse_actions([{"type": "webhook", "method": "put", "url": "https://x.test/"}])
    assert isinstance(hook, WebhookAction)
    assert hook.method == "PUT"


def test_webhook_url_may_carry_tokens() -> None:
    (hook,) = parse_actions([{"type": "webhook", "url": "https://x.test/?phone=[caller_id]"}])
    assert isinstance(hook, WebhookAction)


def test_webhook_url_must_be_http() -> None:
    errors = errors_of([{"type": "webhook", "url": "file:///etc/passwd"}])
    assert errors == [("0.webhook.url", "Value error, must start with http:// or https://")]


def test_webhook_header_cannot_split_lines() -> None:
    action = {"type": "webhook", "url": "https://x.test", "headers": {"X-A": "a\r\nX-B: b"}}
    assert errors_of([action])[0][0] == "0.webhook.headers"


def test_choice_reads_else_and_writes_it_back() -> None:
    choice = {
        "type": "choice",
        "conditions": [{"field": "state", "operator": "in", "value": ["FL", "GA"]}],
        "then": "exit",
        "else": 0,
    }
    (_, parsed) = parse_actions([{"type": "wait", "hours": 1}, choice])
    assert isinstance(parsed, ChoiceAction)
    assert parsed.otherwise == 0
    assert parsed.model_dump(exclude_none=True)["else"] == 0


def test_choice_jump_past_the_end_is_refused() -> None:
    choice = {"type": "choice", "conditions": [{"field": "a", "operator": "exists"}], "then": 5}
    (path, message) = errors_of([{"type": "wait", "hours": 1}, choice])[0]
    assert path == ""
    assert "action 1: then goes to action 5" in message


def test_choice_jump_to_itself_is_refused() -> None:
    choice = {"type": "choice", "conditions": [{"field": "a", "operator": "exists"}], "then": 0}
    assert "cannot go to the choice itself" in errors_of([choice])[0][1]


@pytest.mark.parametrize(
    ("operator", "value", "message"),
    [
        ("exists", "x", "exists takes no value"),
        ("in", "FL", "in needs a non-empty list of values"),
        ("equals", None, "equals needs a single value"),
        ("greater_than", "many", "greater_than needs a number"),
    ],
)
def test_condition_value_must_fit_its_operator(operator: str, value: Any, message: str) -> None:
    condition = {"field": "a", "operator": operator, "value": value}
    choice = {"type": "choice", "conditions": [condition], "then": "exit"}
    assert message in errors_of([choice])[0][1]


def test_condition_on_unknown_lead_fact_is_refused() -> None:
    condition = {"field": "lead.password", "operator": "exists"}
    choice = {"type": "choice", "conditions": [condition], "then": "exit"}
    (path, _) = errors_of([choice])[0]
    assert path == "0.choice.conditions.0.field"


def test_restart_without_a_wait_before_it_is_refused() -> None:
    (_, message) = errors_of([{"type": "call"}, {"type": "restart_schedule"}])[0]
    assert "needs a wait before it" in message


def test_modify_lead_templates_are_checked() -> None:
    action = {"type": "modify_lead", "set_tokens": {"greeting": "{{ x.__init__ }}"}}
    assert errors_of([action])[0][0] == "0.modify_lead.set_tokens.greeting"


def test_every_action_type_parses() -> None:
    actions = parse_actions(
        [
            {"type": "wait", "minutes": 5},
            {"type": "call", "buyer_id": 7, "max_ring_seconds": 45},
            {"type": "sms", "body": "Hi [first_name]{there}"},
            {"type": "email", "subject": "Hi", "body": "{{ first_name }}"},
            {"type": "webhook", "method": "GET", "url": "https://x.test", "headers": {"A": "b"}},
            {"type": "choice", "conditions": [{"field": "a", "operator": "exists"}], "then": 0},
            {"type": "add_to_schedule", "schedule_id": 9},
            {"type": "restart_schedule"},
            {"type": "modify_lead", "set_tokens": {"stage": "called"}},
            {"type": "opt_out"},
            {"type": "block"},
        ]
    )
    assert [a.type for a in actions][-3:] == ["modify_lead", "opt_out", "block"]


def test_end_actions_cannot_wait() -> None:
    with pytest.raises(ValidationError, match="wait cannot run after a lead has ended"):
        END_ACTIONS.validate_python([{"type": "wait", "hours": 1}])


def test_calling_hours_default_to_eight_to_nine() -> None:
    assert CallingHours().monday == DayHours(open="0800", close="2100")


def test_calling_hours_accept_integers_and_colons() -> None:
    day = DayHours.model_validate({"open": 930, "close": "17:30"})
    assert day.minutes == (570, 1050)


def test_calling_hours_must_open_before_close() -> None:
    with pytest.raises(ValidationError, match="open must be earlier than close"):
        DayHours(open="2100", close="0800")


def test_calling_hours_reject_impossible_time() -> None:
    with pytest.raises(ValidationError, match="between 0000 and 2400"):
        DayHours(open="0875")


def test_calling_hours_need_one_open_day() -> None:
    closed = {"closed": True}
    with pytest.raises(ValidationError, match="at least one weekday"):
        CallingHours.model_validate({day: closed for day in CallingHours.model_fields})


def test_schedule_config_defaults() -> None:
    config = ScheduleConfig()
    assert (config.dial_order, config.real_time_priority, config.end_actions) == ("fifo", None, [])
