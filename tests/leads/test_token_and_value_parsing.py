"""The pure rules under intake: token names, flattening, contact-field discovery, and
TrackDrive's loosely typed values. No database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from leadflow.kit.values import parse_bool, parse_int, parse_time
from leadflow.leads.tokens import (
    EMAIL_NAMES,
    PHONE_NAMES,
    expand_embedded_json,
    find_contact_field,
    flatten,
    token_name,
)


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("First Name", "first_name"),
        ("firstName", "first_name"),
        ("address[city]", "address_city"),
        ("  --Loan-Amount-- ", "loan_amount"),
        ("prénom", "prénom"),
        ("!!!", ""),
    ],
)
def test_token_names_are_lower_snake_case(raw: str, name: str) -> None:
    assert token_name(raw) == name


def test_nested_objects_flatten_to_parent_child_names() -> None:
    assert flatten({"address": {"city": "Denver", "geo": {"lat": 1}}}) == {
        "address_city": "Denver",
        "address_geo_lat": 1,
    }


def test_a_list_of_values_becomes_one_token() -> None:
    assert flatten({"tags": ["a", None, 3]}) == {"tags": "a, , 3"}


def test_nul_characters_are_dropped_from_values() -> None:
    assert flatten({"a": "x\x00y", "b": ["\x00"]}) == {"a": "xy", "b": ""}


def test_numbers_beyond_64_bits_are_kept_as_text() -> None:
    assert flatten({"big": 1e29, "huge": 2**64, "small": -3.5}) == {
        "big": "1e+29",
        "huge": "18446744073709551616",
        "small": -3.5,
    }


def test_nesting_past_the_depth_limit_is_kept_as_json() -> None:
    deep: dict[str, object] = {"v": 1}
    for _ in range(10):
        deep = {"n": deep}
    (value,) = flatten(deep).values()
    assert value == '{"n":{"v":1}}'


def test_json_inside_a_field_is_unpacked() -> None:
    assert expand_embedded_json({"payload": '{"Phone Number": "1"}', "keep": "{not json"}) == {
        "phone_number": "1",
        "keep": "{not json",
    }


def test_an_exact_contact_field_beats_a_suffix() -> None:
    values = {"emergency_contact_phone": "111", "phone": "222"}
    assert find_contact_field(values, PHONE_NAMES) == "222"


def test_a_contact_field_may_be_nested() -> None:
    assert find_contact_field({"form_email_address": "a@b.com"}, EMAIL_NAMES) == "a@b.com"


@pytest.mark.parametrize(("word", "value"), [("Yes", True), ("off", False), (1, True), (0, False)])
def test_boolean_words(word: object, value: bool) -> None:
    assert parse_bool(word) is value


@pytest.mark.parametrize("word", ["2", "", "y", 2, 1.0])
def test_other_booleans_are_refused(word: object) -> None:
    with pytest.raises(ValueError, match="boolean"):
        parse_bool(word)


@pytest.mark.parametrize("word", ["1.5", "ten", True, "9" * 5000])
def test_non_integers_are_refused(word: object) -> None:
    with pytest.raises(ValueError, match="integer"):
        parse_int(word)


@pytest.mark.parametrize(
    "text",
    ["2021-07-23 14:26:43 +0000", "2021-07-23 09:26:43 -0500", "2021-07-23T14:26:43Z"],
)
def test_times_in_trackdrive_and_iso_formats(text: str) -> None:
    assert parse_time(text) == datetime(2021, 7, 23, 14, 26, 43, tzinfo=UTC)


@pytest.mark.parametrize(
    "text", ["9999-12-31 23:59:59 -1200", "0001-01-01 00:00:00 +1200", "tomorrow"]
)
def test_times_out_of_range_or_unreadable_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="valid time"):
        parse_time(text)
