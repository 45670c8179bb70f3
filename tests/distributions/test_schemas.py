"""What the distribution endpoints accept: conditions are checked once, at the boundary."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from leadflow.distributions.matching import Condition
from leadflow.distributions.schemas import (
    ConditionSchema,
    DistributionCreate,
    DistributionUpdate,
)


def refusal(**fields: Any) -> str:
    with pytest.raises(ValidationError) as refused:
        ConditionSchema.model_validate(fields)
    return refused.value.errors()[0]["msg"]


def test_new_distribution_defaults_to_priority_0_weight_1_and_no_conditions() -> None:
    created = DistributionCreate.model_validate({"target_schedule_id": 5})
    assert (created.priority, created.weight, created.conditions) == (0, 1, [])


def test_condition_field_is_normalised_like_a_token_name() -> None:
    condition = ConditionSchema.model_validate(
        {"field": "Sub ID", "operator": "equals", "value": "a"}
    )
    assert condition.field == "sub_id"


def test_list_condition_becomes_a_tuple_for_matching() -> None:
    condition = ConditionSchema.model_validate(
        {"field": "traffic_source_id", "operator": "in", "value": [3, "4"]}
    )
    assert condition.to_condition() == Condition("traffic_source_id", "in", (3, "4"))


def test_condition_field_with_no_word_in_it_is_refused() -> None:
    assert (
        refusal(field="--", operator="equals", value="a")
        == "Value error, must name a token, such as sub_id or traffic_source_id"
    )


def test_unknown_operator_is_refused() -> None:
    assert refusal(field="state", operator="in_set", value="C").startswith(
        "Input should be 'equals', 'not_equals', 'in'"
    )


def test_exists_with_a_value_is_refused() -> None:
    assert (
        refusal(field="email", operator="exists", value="x") == "Value error, exists takes no value"
    )


def test_in_without_a_list_is_refused() -> None:
    assert (
        refusal(field="state", operator="in", value="CA")
        == "Value error, in needs a non-empty list of values"
    )


def test_not_in_with_an_empty_list_is_refused() -> None:
    assert (
        refusal(field="state", operator="not_in", value=[])
        == "Value error, not_in needs a non-empty list of values"
    )


def test_equals_with_a_list_is_refused() -> None:
    assert (
        refusal(field="state", operator="equals", value=["CA"])
        == "Value error, equals needs a single value"
    )


def test_greater_than_without_a_value_is_refused() -> None:
    assert (
        refusal(field="debt", operator="greater_than")
        == "Value error, greater_than needs a single value"
    )


def test_weight_of_zero_is_refused() -> None:
    with pytest.raises(ValidationError, match="greater than or equal to 1"):
        DistributionCreate.model_validate({"target_schedule_id": 5, "weight": 0})


def test_negative_priority_is_refused() -> None:
    with pytest.raises(ValidationError, match="greater than or equal to 0"):
        DistributionCreate.model_validate({"target_schedule_id": 5, "priority": -1})


def test_unknown_field_is_refused() -> None:
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        DistributionCreate.model_validate({"target_schedule_id": 5, "percent": 50})


def test_update_changes_only_the_fields_sent() -> None:
    update = DistributionUpdate.model_validate({"weight": 3})
    assert update.model_dump(exclude_unset=True) == {"weight": 3}
