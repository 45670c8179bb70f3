"""Which distribution of a router schedule a lead or call goes to: pure, given the data.

A distribution matches when every one of its conditions holds over the submitted data (no
conditions: it matches everything). Among matches the lowest ``priority`` number wins; ties
are broken by a weighted random draw from the injected :class:`random.Random`, so tests and
simulations can seed it.

What a condition means (case, numbers, ZIP codes, missing fields) is
:mod:`leadflow.kit.conditions`, shared with schedule choices and submission rules; this module
only names the operators a distribution offers.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from leadflow.kit.conditions import holds
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
    "starts_with",
    "ends_with",
    "contains",
    "not_contains",
]
# The text operators let a router split by a phone's area code (``caller_id starts_with
# +1303``) or an e-mail's domain (``email ends_with @example.com``).
OPERATORS: tuple[Operator, ...] = (
    "equals",
    "not_equals",
    "in",
    "not_in",
    "exists",
    "not_exists",
    "greater_than",
    "less_than",
    "starts_with",
    "ends_with",
    "contains",
    "not_contains",
)
LIST_OPERATORS = frozenset({"in", "not_in"})
PRESENCE_OPERATORS = frozenset({"exists", "not_exists"})

Scalar = str | int | float | bool
ConditionValue = Scalar | tuple[Scalar, ...] | None


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
    tokens: Mapping[str, Any],
    traffic_source_id: int | str | None,
    sub_id: str | None,
    *,
    caller_id: str | None = None,
    email: str | None = None,
) -> dict[str, Any]:
    """The data conditions read: the lead's tokens plus its attribution keys, which win over a
    token of the same name because they are what the publisher was authenticated as, and, when
    the lead has them, its ``caller_id`` (E.164, as stored) and ``email`` under the names the
    API's lead fields use (intake never keeps a token of either name)."""
    data = dict(tokens)
    data["traffic_source_id"] = traffic_source_id
    data["sub_id"] = sub_id
    for name, value in (("caller_id", caller_id), ("email", email)):
        if value is not None:
            data[name] = value
    return data


def condition_holds(condition: Condition, data: Mapping[str, Any]) -> bool:
    return holds(condition.operator, data.get(condition.field), condition.value)


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
