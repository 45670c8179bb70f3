"""Dynamic keys: computed fields from a date of birth, a ZIP, a table or a sandboxed template."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from leadflow.submissions.dynamic_keys import DynamicKey, age_on, apply_dynamic_keys
from leadflow.submissions.us_states import state_for_zip

TODAY = date(2026, 1, 5)


def key(**fields: Any) -> DynamicKey:
    return DynamicKey.model_validate(fields)


def computed(lead: dict[str, Any], *keys: DynamicKey) -> dict[str, Any]:
    return apply_dynamic_keys(keys, lead, TODAY).values


def test_age_is_computed_from_date_of_birth() -> None:
    assert computed({"dateOfBirth": "1990-01-15"}, key(key="age", kind="age")) == {"age": 35}


def test_age_counts_the_birthday_itself() -> None:
    assert age_on(date(1990, 1, 5), TODAY) == 36


def test_leap_day_birthday_ages_on_first_of_march() -> None:
    assert age_on(date(2000, 2, 29), date(2025, 2, 28)) == 24
    assert age_on(date(2000, 2, 29), date(2025, 3, 1)) == 25


def test_age_without_date_of_birth_is_left_unset() -> None:
    assert computed({}, key(key="age", kind="age")) == {}


def test_age_from_an_unreadable_date_is_left_unset() -> None:
    assert computed({"dateOfBirth": "soon"}, key(key="age", kind="age")) == {}


def test_state_is_looked_up_from_the_zip_prefix() -> None:
    lead = {"address": {"zip": "10001"}}
    assert computed(lead, key(key="state", kind="state_from_zip")) == {"state": "NY"}


@pytest.mark.parametrize(
    ("zip_code", "state"),
    [("90210", "CA"), ("00901", "PR"), ("20500", "DC"), ("73301", "TX"), ("99501", "AK")],
)
def test_zip_prefixes_name_their_state(zip_code: str, state: str) -> None:
    assert state_for_zip(zip_code) == state


@pytest.mark.parametrize("zip_code", ["", "12", "abcde", "00000"])
def test_unknown_zip_prefix_has_no_state(zip_code: str) -> None:
    assert state_for_zip(zip_code) is None


def test_lookup_maps_a_value_through_a_table() -> None:
    tiers = key(key="tier", kind="lookup", source="address.state", table={"ca": "gold"})
    assert computed({"address": {"state": "CA"}}, tiers) == {"tier": "gold"}


def test_lookup_falls_back_to_its_default() -> None:
    tiers = key(key="tier", kind="lookup", source="address.state", table={}, default="bronze")
    assert computed({"address": {"state": "NV"}}, tiers) == {"tier": "bronze"}


def test_template_renders_lead_fields() -> None:
    full = key(key="fullName", kind="template", template="{{ firstName }} {{ lastName }}")
    assert computed({"firstName": "Jane", "lastName": "Smith"}, full) == {"fullName": "Jane Smith"}


def test_template_reads_nested_fields() -> None:
    where = key(key="where", kind="template", template="{{ address.city }}, {{ address.state }}")
    assert computed({"address": {"city": "LA", "state": "CA"}}, where) == {"where": "LA, CA"}


def test_later_key_reads_an_earlier_one() -> None:
    lead = {"dateOfBirth": "1990-01-15"}
    band = key(key="band", kind="template", template="{{ 'senior' if age >= 65 else 'adult' }}")
    assert computed(lead, key(key="age", kind="age"), band)["band"] == "adult"


def test_key_may_be_written_into_custom_fields() -> None:
    result = apply_dynamic_keys(
        [key(key="customFields.age", kind="age")], {"dateOfBirth": "2000-01-05"}, TODAY
    )
    assert result.lead["customFields"] == {"age": 26}


def test_template_with_an_undefined_name_reports_an_error() -> None:
    result = apply_dynamic_keys([key(key="x", kind="template", template="{{ nope }}")], {}, TODAY)
    assert result.values == {}
    assert "nope" in result.errors["x"]


def test_template_cannot_reach_python_internals() -> None:
    escape = "{{ ''.__class__.__mro__[1].__subclasses__() }}"
    result = apply_dynamic_keys([key(key="x", kind="template", template=escape)], {}, TODAY)
    assert result.values == {}
    assert result.errors["x"].startswith("template failed")


def test_template_key_needs_a_template() -> None:
    with pytest.raises(ValidationError, match="needs a template"):
        key(key="x", kind="template")
