"""Named AND/OR condition rules over a lead's field paths: routing rules and DQ conditionals.

Comparisons ignore case and surrounding spaces, and are numeric when both sides read as
numbers (``"9" less_than "10"``). The negative operators are exact negations of the positive
ones, so a missing field satisfies ``not_equals``, ``not_contains`` and ``not_in_set``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any, Literal, TypeVar

from pydantic import Field, field_validator

from leadflow.submissions.campaign_config import CampaignConfigModel
from leadflow.submissions.field_paths import MISSING, field_value, is_present

Operator = Literal[
    "equals",
    "not_equals",
    "contains",
    "not_contains",
    "starts_with",
    "ends_with",
    "greater_than",
    "less_than",
    "exists",
    "not_exists",
    "in_set",
    "not_in_set",
]
Logic = Literal["and", "or"]


class Condition(CampaignConfigModel):
    field: str = Field(min_length=1)
    operator: Operator
    value: Any = None

    @field_validator("operator", mode="before")
    @classmethod
    def _operator_spelling(cls, value: Any) -> Any:
        """``Not Equals`` and ``not-equals`` are both ``not_equals``."""
        if isinstance(value, str):
            return "_".join(value.strip().lower().replace("-", " ").split())
        return value


class ConditionGroup(CampaignConfigModel):
    logic: Logic = "and"
    conditions: list[Condition | ConditionGroup] = Field(default_factory=list)


class Rule(ConditionGroup):
    """A named, prioritised group; lower ``priority`` numbers are checked first."""

    name: str = Field(min_length=1)
    active: bool = True
    priority: int = 0


class RoutingRule(Rule):
    target_campaign_id: str = Field(min_length=1)


class DisqualificationRule(Rule):
    reason: str | None = None


RuleT = TypeVar("RuleT", bound=Rule)


def first_matching_rule(rules: Iterable[RuleT], lead: Mapping[str, Any]) -> RuleT | None:
    """The active rule of highest priority whose conditions the lead meets (routing)."""
    return next((rule for rule in _in_priority_order(rules) if group_matches(rule, lead)), None)


def disqualifying_rules(rules: Iterable[RuleT], lead: Mapping[str, Any]) -> list[RuleT]:
    """Every active rule the lead meets, in priority order, so the DQ reason names them all."""
    return [rule for rule in _in_priority_order(rules) if group_matches(rule, lead)]


def _in_priority_order(rules: Iterable[RuleT]) -> list[RuleT]:
    return sorted((rule for rule in rules if rule.active), key=lambda rule: rule.priority)


def group_matches(group: ConditionGroup, lead: Mapping[str, Any]) -> bool:
    """AND or OR over the group's conditions. An empty group never matches: a rule saved
    without conditions must not route or disqualify every lead."""
    if not group.conditions:
        return False
    results = (
        group_matches(item, lead)
        if isinstance(item, ConditionGroup)
        else condition_matches(item, lead)
        for item in group.conditions
    )
    return all(results) if group.logic == "and" else any(results)


def condition_matches(condition: Condition, lead: Mapping[str, Any]) -> bool:
    actual = field_value(lead, condition.field)
    operator = condition.operator
    if operator.startswith("not_"):
        return not _positive_matches(operator.removeprefix("not_"), actual, condition.value)
    return _positive_matches(operator, actual, condition.value)


def _positive_matches(operator: str, actual: Any, expected: Any) -> bool:
    if operator == "exists":
        return is_present(actual)
    if actual is MISSING or actual is None:
        return False
    match operator:
        case "equals":
            return _any_value(actual, lambda one: values_equal(one, expected))
        case "contains":
            if isinstance(actual, list):
                return any(values_equal(one, expected) for one in actual)
            return _text(expected) in _text(actual)
        case "starts_with":
            return _any_value(actual, lambda one: _text(one).startswith(_text(expected)))
        case "ends_with":
            return _any_value(actual, lambda one: _text(one).endswith(_text(expected)))
        case "greater_than":
            return _any_value(actual, lambda one: _compare(one, expected) > 0)
        case "less_than":
            return _any_value(actual, lambda one: _compare(one, expected) < 0)
        case "in_set":
            members = _set_members(expected)
            return _any_value(actual, lambda one: any(values_equal(one, m) for m in members))
    raise ValueError(f"unknown operator {operator}")


def _any_value(actual: Any, test: Any) -> bool:
    """A multi-select answer (a list) meets a condition when any of its values does."""
    if isinstance(actual, list):
        return any(test(one) for one in actual)
    return bool(test(actual))


def values_equal(left: Any, right: Any) -> bool:
    """Equal as numbers when both read as numbers, else as case-insensitive trimmed text."""
    left_number, right_number = as_number(left), as_number(right)
    if left_number is not None and right_number is not None:
        return left_number == right_number
    return _text(left) == _text(right)


def _compare(left: Any, right: Any) -> int:
    """Numbers compare as numbers; anything else as text, which orders ISO dates correctly."""
    left_number, right_number = as_number(left), as_number(right)
    if left_number is not None and right_number is not None:
        return (left_number > right_number) - (left_number < right_number)
    left_text, right_text = _text(left), _text(right)
    return (left_text > right_text) - (left_text < right_text)


def _set_members(expected: Any) -> list[Any]:
    """A set is a list, or a comma-separated string as typed into a rule form."""
    if isinstance(expected, (list, tuple, set, frozenset)):
        return list(expected)
    if isinstance(expected, str):
        return [part for part in (item.strip() for item in expected.split(",")) if part]
    return [expected]


def as_number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if not isinstance(value, (int, float, str)):
        return None
    try:
        number = float(value.strip().replace(",", "") if isinstance(value, str) else value)
    except (ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None or value is MISSING:
        return ""
    return str(value).strip().casefold()
