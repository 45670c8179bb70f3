"""A number's zone and state are cached by the part of the number they depend on."""

from __future__ import annotations

import random

from leadflow.kit.number_prefix import prefix_key
from leadflow.schedules.calling_hours import _number_facts, number_facts
from tests.support.phone_examples import example_numbers


def test_numbers_sharing_a_key_have_the_same_zones_and_state_in_every_country() -> None:
    rng = random.Random(4)
    compared = 0
    for number in example_numbers():
        key = prefix_key(number)
        if key == number:
            continue
        kept = len(key.split(":")[0])
        for _ in range(5):
            other = number[:kept] + "".join(rng.choice("0123456789") for _ in number[kept:])
            assert prefix_key(other) == key
            assert _number_facts(other) == _number_facts(number), (number, other)
            compared += 1
    assert compared > 1000


def test_numbers_of_one_us_exchange_share_a_key() -> None:
    assert prefix_key("+13055550100") == prefix_key("+13055550199")
    assert prefix_key("+13055550100") != prefix_key("+13055551100")
    assert number_facts("+13055550199") == (("America/New_York",), "FL")


def test_numbers_of_different_lengths_never_share_a_key() -> None:
    assert prefix_key("+4479110001234") != prefix_key("+447911000123")


def test_a_number_parsing_would_change_is_its_own_key() -> None:
    assert prefix_key("+112125550100") == "+112125550100"  # the national prefix 1
    assert prefix_key("+4407911000123") == "+4407911000123"  # a leading zero
    assert prefix_key("(305) 555-0100") == "(305) 555-0100"
    assert number_facts("(305) 555-0100") == (("America/New_York",), "FL")


def test_invalid_numbers_have_no_zone_or_state() -> None:
    assert number_facts("+1305") == ((), None)
    assert number_facts("not a number") == ((), None)
