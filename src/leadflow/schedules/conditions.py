"""How a ``choice`` action tests its conditions against a lead's tokens and state.

Form data arrives as text, so comparisons are forgiving the way a person expects: numbers
compare as numbers when both sides are numbers, text compares without case or surrounding
spaces, and a missing or blank field does not exist.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from leadflow.schedules.actions import ChoiceAction, Condition


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(str(value).strip())
    except ValueError:
        return None


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip().lower()


def _same(actual: Any, expected: Any) -> bool:
    left, right = _number(actual), _number(expected)
    if left is not None and right is not None:
        return left == right
    return _text(actual) == _text(expected)


def _present(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, str | list | dict):
        return len(value) > 0
    return True


def _holds(operator: str, actual: Any, expected: Any) -> bool:
    if operator == "exists":
        return _present(actual)
    if operator == "not_exists":
        return not _present(actual)
    if operator.startswith("not_"):
        return not _holds(operator[4:], actual, expected)
    if not _present(actual):
        return False
    if operator == "equals":
        return _same(actual, expected)
    if operator == "in":
        return any(_same(actual, option) for option in expected)
    if operator == "contains":
        if isinstance(actual, list):
            return any(_same(item, expected) for item in actual)
        return _text(expected) in _text(actual)
    left, right = _number(actual), _number(expected)
    if left is None or right is None:
        return False
    return left > right if operator == "greater_than" else left < right


def condition_holds(condition: Condition, facts: Mapping[str, Any]) -> bool:
    """Test one condition; ``facts`` holds the tokens and ``lead.<name>`` entries."""
    return _holds(condition.operator, facts.get(condition.field), condition.value)


def choice_holds(choice: ChoiceAction, facts: Mapping[str, Any]) -> bool:
    results = (condition_holds(c, facts) for c in choice.conditions)
    return all(results) if choice.match == "all" else any(results)
