"""Which distribution of a router schedule a lead or call goes to: pure, given the data.

A distribution matches when every one of its conditions holds over the submitted data (no
conditions: it matches everything). Among matches the lowest ``priority`` number wins; ties
are broken by a weighted random draw from the injected :class:`random.Random`, so tests and
simulations can seed it.

How values compare. A value *is a number* when it is an int or float (not a bool) or a string
written as a plain decimal (``12``, ``-3.5``); a string with a leading zero such as ``01234``
is text, so ZIP codes keep their zeros. When both sides are numbers they compare as numbers
(``"12"`` equals ``12``); otherwise both compare as text, exactly and case-sensitively, with
booleans written ``true``/``false``. ``greater_than``/``less_than`` between text compare in
code-point order. A field that is absent, None or an empty string does not *exist*: it fails
every operator except ``not_exists``, ``not_equals`` and ``not_in`` (nothing is not 5).
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from leadflow.kit.errors import TrackDriveError
from leadflow.models.schedule import CONTACT_CALLER, LEAD_DISTRIBUTION

Operator = Literal[
    "equals",
    "not_equals",
    "in",
    "not_in",
    "exists",
    "not_exists",
    "greater_than",
    "less_than",
]
OPERATORS: tuple[Operator, ...] = (
    "equals",
    "not_equals",
    "in",
    "not_in",
    "exists",
    "not_exists",
    "greater_than",
    "less_than",
)
LIST_OPERATORS = frozenset({"in", "not_in"})
PRESENCE_OPERATORS = frozenset({"exists", "not_exists"})

Scalar = str | int | float | bool
ConditionValue = Scalar | tuple[Scalar, ...] | None

_DECIMAL = re.compile(r"[+-]?(0|[1-9]\d*)(\.\d+)?")


@dataclass(frozen=True)
class Condition:
    """``field operator value`` over the submitted data; ``value`` is a tuple for in/not_in
    and None for exists/not_exists (the schemas enforce this at the boundary)."""

    field: str
    operator: Operator
    value: ConditionValue = None


@dataclass(frozen=True)
class Distribution:
    id: int
    target_schedule_id: int
    priority: int = 0
    weight: int = 1
    conditions: tuple[Condition, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.weight < 1:
            raise ValueError("weight must be at least 1")


def routing_data(
    tokens: Mapping[str, Any], traffic_source_id: int | str | None, sub_id: str | None
) -> dict[str, Any]:
    """The data conditions read: the lead's tokens plus its attribution keys, which win over a
    token of the same name because they are what the publisher was authenticated as."""
    data = dict(tokens)
    data["traffic_source_id"] = traffic_source_id
    data["sub_id"] = sub_id
    return data


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and _DECIMAL.fullmatch(value.strip()):
        return float(value)
    return None


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _exists(value: Any) -> bool:
    return value is not None and value != ""


def _equal(left: Any, right: Any) -> bool:
    left_number, right_number = _as_number(left), _as_number(right)
    if left_number is not None and right_number is not None:
        return left_number == right_number
    return _as_text(left) == _as_text(right)


def _compare(left: Any, right: Any) -> int:
    """-1, 0 or 1: numbers as numbers, anything else as text."""
    left_number, right_number = _as_number(left), _as_number(right)
    if left_number is not None and right_number is not None:
        return (left_number > right_number) - (left_number < right_number)
    left_text, right_text = _as_text(left), _as_text(right)
    return (left_text > right_text) - (left_text < right_text)


def _members(value: ConditionValue) -> tuple[Scalar, ...]:
    if isinstance(value, tuple):
        return value
    return () if value is None else (value,)


def condition_holds(condition: Condition, data: Mapping[str, Any]) -> bool:
    actual = data.get(condition.field)
    present = _exists(actual)
    operator = condition.operator
    if operator == "exists":
        return present
    if operator == "not_exists":
        return not present
    if operator == "not_equals":
        return not present or not _equal(actual, condition.value)
    if operator == "not_in":
        return not present or not any(_equal(actual, m) for m in _members(condition.value))
    if not present:
        return False
    if operator == "equals":
        return _equal(actual, condition.value)
    if operator == "in":
        return any(_equal(actual, m) for m in _members(condition.value))
    if operator == "greater_than":
        return _compare(actual, condition.value) > 0
    return _compare(actual, condition.value) < 0


def matches(distribution: Distribution, data: Mapping[str, Any]) -> bool:
    """Every condition holds; a distribution without conditions takes everything."""
    return all(condition_holds(c, data) for c in distribution.conditions)


def pick_distribution(
    distributions: Sequence[Distribution], data: Mapping[str, Any], rng: random.Random
) -> Distribution | None:
    """The distribution a router sends ``data`` to, or None when none matches.

    Ties are ordered by id before the draw, so a seeded ``rng`` picks the same distribution
    whatever order the rows were read in.
    """
    matching = [d for d in distributions if matches(d, data)]
    if not matching:
        return None
    best = min(d.priority for d in matching)
    tied = sorted((d for d in matching if d.priority == best), key=lambda d: d.id)
    if len(tied) == 1:
        return tied[0]
    return rng.choices(tied, weights=[d.weight for d in tied])[0]


def validate_target(router_schedule_type: str, target_schedule_type: str) -> None:
    """Distributions hang off a router and point at a caller schedule; a router targeting a
    router could loop, so it is refused."""
    if router_schedule_type != LEAD_DISTRIBUTION:
        raise TrackDriveError.field(
            "schedule_id", f"must be a {LEAD_DISTRIBUTION} schedule to have distributions"
        )
    if target_schedule_type != CONTACT_CALLER:
        raise TrackDriveError.field(
            "target_schedule_id",
            f"must be a {CONTACT_CALLER} schedule; a router cannot target another router",
        )
