"""Routing rules and DQ conditionals over a lead's field paths."""

from __future__ import annotations

from typing import Any

import pytest

from leadflow.submissions.conditions import (
    Condition,
    DisqualificationRule,
    RoutingRule,
    condition_matches,
    disqualifying_rules,
    first_matching_rule,
)
from leadflow.submissions.field_paths import MISSING, field_value, with_field

LEAD: dict[str, Any] = {
    "firstName": "Jane",
    "email": "jane@example.com",
    "address": {"state": "CA", "zip": "90210"},
    "questionnaire": {"filing_for": "Self", "debt": "12,500", "injuries": ["neck", "back"]},
    "customFields": {"score": "9", "blank": "  ", "opt_in": True},
    "dateOfBirth": "1990-01-15",
}


def holds(field: str, operator: str, value: Any = None, lead: dict[str, Any] = LEAD) -> bool:
    return condition_matches(
        Condition.model_validate({"field": field, "operator": operator, "value": value}), lead
    )


def test_field_path_reads_nested_objects() -> None:
    assert field_value(LEAD, "address.state") == "CA"


def test_field_path_reads_the_questionnaire_array_form_by_key() -> None:
    lead = {"questionnaire": [{"key": "filing_for", "question": "Filing for", "answer": "Self"}]}
    assert field_value(lead, "questionnaire.filing_for") == "Self"


def test_field_path_indexes_lists() -> None:
    assert field_value(LEAD, "questionnaire.injuries.1") == "back"


def test_field_path_to_nowhere_is_missing() -> None:
    assert field_value(LEAD, "address.city.name") is MISSING


def test_with_field_creates_the_objects_on_the_way() -> None:
    assert with_field({}, "customFields.tier", "gold") == {"customFields": {"tier": "gold"}}


def test_with_field_leaves_the_original_untouched() -> None:
    original = {"address": {"state": "CA"}}
    with_field(original, "address.state", "NY")
    assert original == {"address": {"state": "CA"}}


def test_equals_ignores_case_and_spaces() -> None:
    assert holds("address.state", "equals", " ca ")


def test_equals_compares_numbers_as_numbers() -> None:
    assert holds("customFields.score", "equals", 9.0)


def test_not_equals() -> None:
    assert holds("address.state", "not_equals", "NY")


def test_missing_field_is_not_equal() -> None:
    assert holds("address.city", "not_equals", "LA")
    assert not holds("address.city", "equals", "LA")


def test_contains_finds_a_substring_without_case() -> None:
    assert holds("email", "contains", "EXAMPLE")


def test_contains_finds_a_member_of_a_multi_select_answer() -> None:
    assert holds("questionnaire.injuries", "contains", "Neck")


def test_not_contains() -> None:
    assert holds("email", "not_contains", "gmail")


def test_starts_with_and_ends_with() -> None:
    assert holds("address.zip", "starts_with", "902")
    assert holds("email", "ends_with", ".COM")


def test_greater_than_is_numeric_when_both_are_numbers() -> None:
    assert holds("customFields.score", "greater_than", "10") is False
    assert holds("customFields.score", "less_than", "10")


def test_numbers_may_carry_thousands_separators() -> None:
    assert holds("questionnaire.debt", "greater_than", 10000)


def test_greater_than_orders_iso_dates_as_text() -> None:
    assert holds("dateOfBirth", "less_than", "2000-01-01")


def test_comparison_with_a_missing_field_never_holds() -> None:
    assert not holds("address.city", "greater_than", 0)
    assert not holds("address.city", "less_than", 0)


def test_exists_and_not_exists() -> None:
    assert holds("address.state", "exists")
    assert holds("address.city", "not_exists")


def test_blank_value_does_not_exist() -> None:
    assert holds("customFields.blank", "not_exists")


def test_in_set_takes_a_list() -> None:
    assert holds("address.state", "in_set", ["NY", "ca"])


def test_in_set_takes_a_comma_separated_string() -> None:
    assert holds("address.state", "in_set", "NY, CA, TX")


def test_not_in_set() -> None:
    assert holds("address.state", "not_in_set", ["NY", "TX"])


def test_boolean_answers_compare_as_true_and_false() -> None:
    assert holds("customFields.opt_in", "equals", "TRUE")


@pytest.mark.parametrize("spelling", ["Not Equals", "not-equals", "NOT_EQUALS"])
def test_operator_spellings_from_the_ui_are_accepted(spelling: str) -> None:
    assert Condition.model_validate({"field": "x", "operator": spelling}).operator == "not_equals"


def test_unknown_operator_is_refused() -> None:
    with pytest.raises(ValueError, match="operator"):
        Condition.model_validate({"field": "x", "operator": "resembles"})


def routing(name: str, priority: int, state: str, active: bool = True) -> RoutingRule:
    return RoutingRule.model_validate(
        {
            "name": name,
            "priority": priority,
            "active": active,
            "targetCampaignId": f"cmp_{name}",
            "conditions": [{"field": "address.state", "operator": "equals", "value": state}],
        }
    )


def test_first_matching_routing_rule_is_the_highest_priority() -> None:
    rules = [routing("late", 5, "CA"), routing("early", 1, "CA"), routing("texas", 0, "TX")]
    chosen = first_matching_rule(rules, LEAD)
    assert chosen is not None
    assert chosen.target_campaign_id == "cmp_early"


def test_inactive_routing_rule_is_skipped() -> None:
    assert first_matching_rule([routing("off", 0, "CA", active=False)], LEAD) is None


def test_no_matching_routing_rule_keeps_the_lead() -> None:
    assert first_matching_rule([routing("texas", 0, "TX")], LEAD) is None


def test_rule_without_conditions_never_matches() -> None:
    rule = RoutingRule.model_validate({"name": "empty", "targetCampaignId": "cmp_x"})
    assert first_matching_rule([rule], LEAD) is None


def test_and_rule_needs_every_condition() -> None:
    rule = DisqualificationRule.model_validate(
        {
            "name": "CA self-filers",
            "logic": "and",
            "conditions": [
                {"field": "address.state", "operator": "equals", "value": "CA"},
                {"field": "questionnaire.filing_for", "operator": "equals", "value": "spouse"},
            ],
        }
    )
    assert disqualifying_rules([rule], LEAD) == []


def test_or_rule_needs_any_condition() -> None:
    rule = DisqualificationRule.model_validate(
        {
            "name": "excluded states",
            "logic": "or",
            "conditions": [
                {"field": "address.state", "operator": "equals", "value": "NY"},
                {"field": "address.state", "operator": "equals", "value": "CA"},
            ],
        }
    )
    assert [r.name for r in disqualifying_rules([rule], LEAD)] == ["excluded states"]


def test_groups_nest() -> None:
    rule = DisqualificationRule.model_validate(
        {
            "name": "nested",
            "conditions": [
                {"field": "firstName", "operator": "exists"},
                {
                    "logic": "or",
                    "conditions": [
                        {"field": "address.state", "operator": "equals", "value": "NY"},
                        {
                            "field": "questionnaire.filing_for",
                            "operator": "equals",
                            "value": "self",
                        },
                    ],
                },
            ],
        }
    )
    assert disqualifying_rules([rule], LEAD) == [rule]


def test_every_matching_dq_rule_is_named_in_priority_order() -> None:
    def dq(name: str, priority: int, state: str) -> DisqualificationRule:
        return DisqualificationRule.model_validate(
            {
                "name": name,
                "priority": priority,
                "conditions": [{"field": "address.state", "operator": "equals", "value": state}],
            }
        )

    rules = [dq("second", 2, "CA"), dq("other", 0, "NY"), dq("first", 1, "CA")]
    assert [rule.name for rule in disqualifying_rules(rules, LEAD)] == ["first", "second"]
