"""Required fields and field qualification: answers mapped to what the buyer accepts."""

from __future__ import annotations

from typing import Any

from leadflow.submissions.qualification import (
    FieldQualification,
    map_answer,
    mapped_answers,
    missing_required_fields,
    qualify,
    qualify_field,
)

STATES = ["California", "New York", "Texas"]


def rule(**fields: Any) -> FieldQualification:
    return FieldQualification.model_validate(fields)


def test_required_fields_lists_each_absent_path() -> None:
    lead = {"email": "a@b.co", "phone": " ", "address": {"state": "CA"}}
    assert missing_required_fields(["email", "phone", "address.state", "address.zip"], lead) == [
        "phone",
        "address.zip",
    ]


def test_exact_answer_maps_to_itself() -> None:
    match = map_answer("Texas", STATES)
    assert match is not None
    assert (match.value, match.method, match.score) == ("Texas", "exact", 100.0)


def test_case_and_spacing_are_ignored() -> None:
    match = map_answer("  new   YORK ", STATES)
    assert match is not None
    assert (match.value, match.method) == ("New York", "normalized")


def test_underscores_and_hyphens_count_as_spaces() -> None:
    match = map_answer("car_accident", ["Car Accident", "Slip and Fall"])
    assert match is not None
    assert match.value == "Car Accident"


def test_equal_numbers_match() -> None:
    match = map_answer(1.0, ["1", "2"])
    assert match is not None
    assert match.value == "1"


def test_synonym_maps_to_its_accepted_value() -> None:
    match = map_answer("yep", ["Yes", "No"], {"Yes": ["yep", "y"]})
    assert match is not None
    assert (match.value, match.method) == ("Yes", "synonym")


def test_misspelling_maps_by_fuzzy_match() -> None:
    match = map_answer("Califronia", STATES)
    assert match is not None
    assert (match.value, match.method) == ("California", "fuzzy")
    assert 85 <= match.score < 100


def test_answer_far_from_every_value_does_not_map() -> None:
    assert map_answer("Florida", STATES) is None


def test_fuzzy_threshold_is_respected() -> None:
    assert map_answer("Califronia", STATES, fuzzy_threshold=99) is None


def test_short_answer_is_not_fuzzily_stretched_to_a_longer_value() -> None:
    assert map_answer("no", ["Yes", "Not sure"]) is None


def test_field_with_accepted_values_reports_the_mapped_value() -> None:
    result = qualify_field(rule(field="state", acceptedValues=STATES), {"state": "texas"})
    assert (result.passed, result.mapped_value, result.method) == (True, "Texas", "normalized")


def test_field_with_an_unaccepted_answer_fails_with_a_reason() -> None:
    result = qualify_field(rule(field="state", acceptedValues=STATES), {"state": "Ohio"})
    assert not result.passed
    assert result.reason == "'Ohio' is not an accepted value"


def test_value_set_supplies_the_accepted_values() -> None:
    result = qualify_field(
        rule(field="state", valueSet="big_states"), {"state": "tx"}, {"big_states": ["TX", "CA"]}
    )
    assert result.mapped_value == "TX"


def test_unknown_value_set_fails_the_field() -> None:
    result = qualify_field(rule(field="state", valueSet="nowhere"), {"state": "TX"})
    assert result.reason == "value set 'nowhere' is not defined"


def test_multi_select_answer_maps_every_choice() -> None:
    result = qualify_field(
        rule(field="injuries", acceptedValues=["Neck", "Back"]), {"injuries": ["neck", "BACK"]}
    )
    assert result.mapped_value == ["Neck", "Back"]


def test_missing_required_field_fails() -> None:
    result = qualify_field(rule(field="state", required=True), {})
    assert (result.passed, result.method, result.reason) == (False, "missing", "is required")


def test_missing_optional_field_passes() -> None:
    assert qualify_field(rule(field="state", acceptedValues=STATES), {}).passed


def test_field_without_accepted_values_passes_any_answer() -> None:
    result = qualify_field(rule(field="notes"), {"notes": "anything"})
    assert (result.passed, result.method) == (True, "unrestricted")


def test_overall_result_passes_when_every_field_passes() -> None:
    result = qualify(
        [rule(field="state", acceptedValues=STATES), rule(field="age", required=True)],
        {"state": "Texas", "age": 40},
    )
    assert result.summary() == {"passed": True, "score": 100.0, "method": "rules", "reason": None}


def test_overall_reason_names_every_failed_field() -> None:
    result = qualify(
        [rule(field="state", acceptedValues=STATES), rule(field="age", required=True)],
        {"state": "Ohio"},
    )
    assert result.summary() == {
        "passed": False,
        "score": 0.0,
        "method": "rules",
        "reason": "state: 'Ohio' is not an accepted value; age: is required",
    }


def test_overall_score_is_the_mean_of_the_fields() -> None:
    result = qualify(
        [rule(field="a", acceptedValues=["Yes"]), rule(field="b", acceptedValues=["Yes"])],
        {"a": "Yes", "b": "No"},
    )
    assert result.score == 50.0


def test_nothing_to_check_passes_with_full_score() -> None:
    assert qualify([], {}).summary()["score"] == 100.0


def test_mapped_answers_lists_only_rewritten_fields() -> None:
    result = qualify(
        [rule(field="a", acceptedValues=STATES), rule(field="b", acceptedValues=STATES)],
        {"a": "Texas", "b": "new york"},
    )
    assert mapped_answers(result) == {"b": "New York"}
