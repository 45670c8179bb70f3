"""One rule, one answer: schedule choices, router distributions and submission rules mean
the same thing by ``field operator value`` (see :mod:`leadflow.kit.conditions`)."""

from __future__ import annotations

from typing import Any

import pytest

from leadflow.distributions.matching import Condition as DistributionCondition
from leadflow.distributions.matching import condition_holds as distribution_holds
from leadflow.schedules.actions import Condition as ChoiceCondition
from leadflow.schedules.conditions import condition_holds as choice_holds
from leadflow.submissions.conditions import Condition as RuleCondition
from leadflow.submissions.conditions import condition_matches as rule_holds

# field, actual value (None: the field is missing), operator, value, the one answer
CASES: list[tuple[str, Any, str, Any, bool]] = [
    ("state", "CA", "equals", "ca", True),
    ("state", " ca ", "equals", "CA", True),
    ("zip", "1234", "equals", "01234", False),
    ("zip", "01234", "equals", "01234", True),
    ("zip", "01234", "equals", 1234, False),
    ("amount", "1,000", "greater_than", "900", True),
    ("amount", "$1,000", "equals", 1000, True),
    ("amount", "1000", "equals", "1,000.00", True),
    ("amount", "900", "less_than", "1,000", True),
    ("age", "42", "equals", 42, True),
    ("age", "42.0", "equals", "42", True),
    ("age", "9", "less_than", "10", True),
    ("age", "unknown", "greater_than", 65, False),
    ("age", "unknown", "less_than", 65, False),
    ("homeowner", True, "equals", "TRUE", True),
    ("homeowner", True, "equals", 1, False),
    ("state", "CA", "not_equals", "ca", False),
    ("state", None, "not_equals", "CA", True),
    ("state", None, "equals", "CA", False),
    ("state", None, "greater_than", 0, False),
    ("state", None, "less_than", 0, False),
    ("state", "", "exists", None, False),
    ("state", "  ", "exists", None, False),
    ("state", "TX", "exists", None, True),
    ("state", None, "not_exists", None, True),
    ("state", "tx", "in", ["CA", "TX"], True),
    ("state", "NY", "in", ["CA", "TX"], False),
    ("state", "NY", "not_in", ["CA", "TX"], True),
    ("state", None, "not_in", ["CA", "TX"], True),
    ("zip", "01234", "in", ["1234", "5678"], False),
]

DISTRIBUTION_IN = {"in": "in", "not_in": "not_in"}
RULE_IN = {"in": "in_set", "not_in": "not_in_set"}


def _data(field: str, actual: Any) -> dict[str, Any]:
    return {} if actual is None else {field: actual}


def schedule_answer(field: str, actual: Any, operator: str, value: Any) -> bool:
    condition = ChoiceCondition(field=field, operator=operator, value=value)  # type: ignore[arg-type]
    return choice_holds(condition, _data(field, actual))


def distribution_answer(field: str, actual: Any, operator: str, value: Any) -> bool:
    if isinstance(value, list):
        value = tuple(value)
    condition = DistributionCondition(field, DISTRIBUTION_IN.get(operator, operator), value)  # type: ignore[arg-type]
    return distribution_holds(condition, _data(field, actual))


def rule_answer(field: str, actual: Any, operator: str, value: Any) -> bool:
    condition = RuleCondition(field=field, operator=RULE_IN.get(operator, operator), value=value)
    return rule_holds(condition, _data(field, actual))


@pytest.mark.parametrize(("field", "actual", "operator", "value", "expected"), CASES)
def test_schedules_distributions_and_submissions_agree(
    field: str, actual: Any, operator: str, value: Any, expected: bool
) -> None:
    answers = {
        "schedule choice": schedule_answer(field, actual, operator, value),
        "distribution": distribution_answer(field, actual, operator, value),
        "submission rule": rule_answer(field, actual, operator, value),
    }
    assert answers == dict.fromkeys(answers, expected)


@pytest.mark.parametrize(
    ("operator", "actual", "value", "expected"),
    [
        ("contains", "Wants a QUOTE", "quote", True),
        ("contains", ["auto", "home"], "HOME", True),
        ("contains", ["auto", "home"], "hom", False),
    ],
)
def test_choices_and_rules_agree_on_contains(
    operator: str, actual: Any, value: Any, expected: bool
) -> None:
    assert schedule_answer("note", actual, operator, value) is expected
    assert rule_answer("note", actual, operator, value) is expected


@pytest.mark.parametrize(
    ("actual", "operator", "value", "expected"),
    [
        ("1990-05-01", "less_than", "2000-01-01", True),
        ("c", "greater_than", "B", True),
        ("unknown", "greater_than", "65", False),
    ],
)
def test_distributions_and_rules_agree_on_ordering_text(
    actual: Any, operator: str, value: Any, expected: bool
) -> None:
    """Schedule choices order numbers only (their form refuses a text value)."""
    assert distribution_answer("f", actual, operator, value) is expected
    assert rule_answer("f", actual, operator, value) is expected
