"""Choice conditions compare form data the way a person reads it."""

from __future__ import annotations

from typing import Any

import pytest

from leadflow.schedules.actions import ChoiceAction, Condition
from leadflow.schedules.conditions import choice_holds, condition_holds

FACTS = {
    "state": "FL",
    "age": "42",
    "note": "Wants a Quote today",
    "blank": "",
    "tags": ["auto", "home"],
    "lead.contact_attempts": 2,
}


def holds(field: str, operator: str, value: Any = None) -> bool:
    condition = Condition(field=field, operator=operator, value=value)  # type: ignore[arg-type]
    return condition_holds(condition, FACTS)


@pytest.mark.parametrize(
    ("field", "operator", "value", "expected"),
    [
        ("state", "equals", "fl", True),
        ("age", "equals", 42, True),
        ("age", "equals", "42.0", True),
        ("state", "not_equals", "GA", True),
        ("missing", "not_equals", "GA", True),
        ("note", "contains", "QUOTE", True),
        ("tags", "contains", "home", True),
        ("tags", "contains", "hom", False),
        ("age", "greater_than", 40, True),
        ("age", "less_than", "40", False),
        ("state", "greater_than", 1, False),
        ("missing", "greater_than", 1, False),
        ("state", "exists", None, True),
        ("blank", "exists", None, False),
        ("missing", "not_exists", None, True),
        ("state", "in", ["GA", "fl"], True),
        ("state", "not_in", ["GA", "TX"], True),
        ("missing", "in", ["GA"], False),
        ("lead.contact_attempts", "greater_than", 1, True),
    ],
)
def test_operator(field: str, operator: str, value: Any, expected: bool) -> None:
    assert holds(field, operator, value) is expected


def test_all_needs_every_condition() -> None:
    choice = ChoiceAction.model_validate(
        {
            "type": "choice",
            "conditions": [
                {"field": "state", "operator": "equals", "value": "FL"},
                {"field": "age", "operator": "less_than", "value": 18},
            ],
            "then": "exit",
        }
    )
    assert choice_holds(choice, FACTS) is False


def test_any_needs_one_condition() -> None:
    choice = ChoiceAction.model_validate(
        {
            "type": "choice",
            "match": "any",
            "conditions": [
                {"field": "state", "operator": "equals", "value": "FL"},
                {"field": "age", "operator": "less_than", "value": 18},
            ],
            "then": "exit",
        }
    )
    assert choice_holds(choice, FACTS) is True
