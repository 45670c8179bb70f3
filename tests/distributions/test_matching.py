"""How a router schedule picks a distribution for the submitted data."""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadflow.distributions.matching import (
    Condition,
    ConditionValue,
    Distribution,
    Operator,
    condition_holds,
    pick_distribution,
    routing_data,
    validate_target,
)
from leadflow.kit.errors import TrackDriveError


def holds(field: str, operator: Operator, value: ConditionValue, data: dict[str, Any]) -> bool:
    return condition_holds(Condition(field, operator, value), data)


def test_equals_matches_the_same_text() -> None:
    assert holds("state", "equals", "CA", {"state": "CA"})


def test_equals_ignores_case_and_surrounding_spaces() -> None:
    assert holds("state", "equals", "CA", {"state": " ca "})


def test_equals_compares_a_number_sent_as_text_with_a_number() -> None:
    assert holds("traffic_source_id", "equals", 12, {"traffic_source_id": "12"})
    assert holds("amount", "equals", "100", {"amount": 100.0})


def test_zip_code_with_a_leading_zero_stays_text() -> None:
    assert not holds("zip", "equals", 1234, {"zip": "01234"})
    assert holds("zip", "equals", "01234", {"zip": "01234"})


def test_boolean_token_equals_true_written_as_text() -> None:
    assert holds("homeowner", "equals", "true", {"homeowner": True})
    assert not holds("homeowner", "equals", 1, {"homeowner": True})


def test_not_equals_matches_a_different_value() -> None:
    assert holds("sub_id", "not_equals", "a", {"sub_id": "b"})
    assert not holds("sub_id", "not_equals", "a", {"sub_id": "a"})


def test_missing_field_is_not_equal_to_anything() -> None:
    assert holds("sub_id", "not_equals", "a", {})
    assert holds("sub_id", "not_in", ("a", "b"), {})
    assert not holds("sub_id", "equals", "a", {})
    assert not holds("sub_id", "in", ("a", "b"), {})


def test_in_matches_any_listed_value() -> None:
    assert holds("traffic_source_id", "in", (3, 4), {"traffic_source_id": 4})
    assert not holds("traffic_source_id", "in", (3, 4), {"traffic_source_id": 5})


def test_not_in_refuses_every_listed_value() -> None:
    assert holds("state", "not_in", ("NY", "NJ"), {"state": "CA"})
    assert not holds("state", "not_in", ("NY", "NJ"), {"state": "NJ"})


def test_exists_needs_a_non_empty_value() -> None:
    assert holds("email", "exists", None, {"email": "a@b.co"})
    assert not holds("email", "exists", None, {"email": ""})
    assert not holds("email", "exists", None, {"email": None})
    assert not holds("email", "exists", None, {})


def test_not_exists_matches_absent_or_empty() -> None:
    assert holds("email", "not_exists", None, {})
    assert holds("email", "not_exists", None, {"email": ""})
    assert not holds("email", "not_exists", None, {"email": "a@b.co"})


def test_greater_than_compares_numbers_as_numbers() -> None:
    assert holds("debt", "greater_than", 9000, {"debt": "10000"})
    assert not holds("debt", "greater_than", 10000, {"debt": "10000"})


def test_less_than_compares_numbers_as_numbers() -> None:
    assert holds("age", "less_than", "65", {"age": 9})
    assert not holds("age", "less_than", 65, {"age": 70})


def test_greater_than_between_text_compares_in_text_order() -> None:
    assert holds("grade", "greater_than", "B", {"grade": "C"})


def test_a_number_and_a_word_are_never_ordered() -> None:
    assert not holds("age", "greater_than", 65, {"age": "unknown"})
    assert not holds("age", "less_than", 65, {"age": "unknown"})


def test_missing_field_is_neither_greater_nor_less() -> None:
    assert not holds("debt", "greater_than", 0, {})
    assert not holds("debt", "less_than", 0, {})


def test_attribution_keys_win_over_tokens_of_the_same_name() -> None:
    data = routing_data({"sub_id": "forged", "state": "CA"}, traffic_source_id=7, sub_id="real")
    assert data == {"sub_id": "real", "state": "CA", "traffic_source_id": 7}


def dist(id: int, priority: int = 0, weight: int = 1, *conditions: Condition) -> Distribution:
    return Distribution(id, 100 + id, priority, weight, conditions)


RNG = random.Random(0)


def test_no_distribution_matches_returns_none() -> None:
    only_source_3 = dist(1, 0, 1, Condition("traffic_source_id", "equals", 3))
    assert pick_distribution([only_source_3], {"traffic_source_id": 4}, RNG) is None


def test_router_without_distributions_matches_nothing() -> None:
    assert pick_distribution([], {"traffic_source_id": 4}, RNG) is None


def test_distribution_without_conditions_takes_every_lead() -> None:
    catch_all = dist(1)
    assert pick_distribution([catch_all], {}, RNG) is catch_all


def test_every_condition_must_hold() -> None:
    source_3_from_ca = dist(
        1, 0, 1, Condition("traffic_source_id", "equals", 3), Condition("state", "equals", "CA")
    )
    assert pick_distribution([source_3_from_ca], {"traffic_source_id": 3}, RNG) is None
    data = {"traffic_source_id": 3, "state": "CA"}
    assert pick_distribution([source_3_from_ca], data, RNG) is source_3_from_ca


def test_lowest_priority_number_wins_over_weight() -> None:
    first = dist(1, priority=1, weight=1)
    heavy_second = dist(2, priority=2, weight=1000)
    picks = {pick_distribution([heavy_second, first], {}, random.Random(s)) for s in range(50)}
    assert picks == {first}


def test_better_priority_that_does_not_match_is_skipped() -> None:
    first_for_source_3 = dist(1, 0, 1, Condition("traffic_source_id", "equals", 3))
    fallback = dist(2, priority=9)
    chosen = pick_distribution([first_for_source_3, fallback], {"traffic_source_id": 4}, RNG)
    assert chosen is fallback


def test_seeded_pick_does_not_depend_on_the_order_rows_were_read() -> None:
    a, b, c = dist(1, weight=2), dist(2, weight=3), dist(3, weight=5)
    forwards = [pick_distribution([a, b, c], {}, random.Random(s)) for s in range(30)]
    backwards = [pick_distribution([c, b, a], {}, random.Random(s)) for s in range(30)]
    assert forwards == backwards


def test_weights_3_to_1_share_draws_about_75_to_25() -> None:
    three, one = dist(1, weight=3), dist(2, weight=1)
    rng = random.Random(20260105)
    counts = Counter(pick_distribution([three, one], {}, rng) for _ in range(4000))
    # Binomial(4000, 0.75) has a standard deviation of about 27; allow five of them.
    assert abs(counts[three] - 3000) < 140
    assert counts[three] + counts[one] == 4000


def test_weight_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="weight must be at least 1"):
        dist(1, weight=0)


SOURCES = st.integers(min_value=1, max_value=4)
distributions = st.lists(
    st.builds(
        lambda source, priority, weight: (source, priority, weight),
        st.none() | SOURCES,
        st.integers(min_value=0, max_value=3),
        st.integers(min_value=1, max_value=10),
    ),
    max_size=8,
).map(
    lambda rows: [
        Distribution(
            id=index,
            target_schedule_id=1000 + index,
            priority=priority,
            weight=weight,
            conditions=()
            if source is None
            else (Condition("traffic_source_id", "equals", source),),
        )
        for index, (source, priority, weight) in enumerate(rows)
    ]
)


@given(distributions, SOURCES, st.integers())
def test_pick_is_always_a_matching_distribution_of_the_best_priority(
    candidates: list[Distribution], source: int, seed: int
) -> None:
    data = {"traffic_source_id": source}
    chosen = pick_distribution(candidates, data, random.Random(seed))
    matching = [d for d in candidates if all(condition_holds(c, data) for c in d.conditions)]
    if not matching:
        assert chosen is None
        return
    assert chosen in matching
    assert chosen is not None
    assert chosen.priority == min(d.priority for d in matching)


def test_router_may_target_a_caller_schedule() -> None:
    validate_target("lead_distribution", "contact_caller")


def test_router_may_not_target_another_router() -> None:
    with pytest.raises(TrackDriveError) as refused:
        validate_target("lead_distribution", "lead_distribution")
    assert refused.value.status == 422
    assert refused.value.errors == {
        "target_schedule_id": [
            "must be a contact_caller schedule; a router cannot target another router"
        ]
    }


def test_only_a_router_has_distributions() -> None:
    with pytest.raises(TrackDriveError) as refused:
        validate_target("contact_caller", "contact_caller")
    assert refused.value.errors == {
        "schedule_id": ["must be a lead_distribution schedule to have distributions"]
    }
