"""Named AND/OR condition rules over a lead's field paths: routing rules and DQ conditionals.

What each operator means (case, numbers with ``$`` and thousands separators, ZIP codes,
missing fields, exact negations) is :mod:`leadflow.kit.conditions`, shared with schedule
choices and router distributions; rules spell "in" as ``in_set``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal, TypeVar

from pydantic import Field, field_validator

from leadflow.kit.conditions import as_number, holds
from leadflow.submissions.campaign_config import CampaignConfigModel
from leadflow.submissions.field_paths import MISSING, field_value

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
__all__ = ["as_number", "condition_matches", "disqualifying_rules", "first_matching_rule"]


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


# A rule's spelling → the core operator it means.
_CORE = {"in_set": "in", "not_in_set": "not_in"}


def condition_matches(condition: Condition, lead: Mapping[str, Any]) -> bool:
    actual = field_value(lead, condition.field)
    operator = _CORE.get(condition.operator, condition.operator)
    return holds(operator, None if actual is MISSING else actual, condition.value)
