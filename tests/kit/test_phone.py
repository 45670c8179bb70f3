"""The phone normaliser answers every number exactly as phonenumbers does, cache or not."""

from __future__ import annotations

import random

import phonenumbers
import pytest
from phonenumbers import PhoneNumberFormat

from leadflow.kit import phone
from leadflow.kit.phone import InvalidPhoneNumberError, to_e164
from tests.support.phone_examples import example_numbers


def phonenumbers_answer(raw: str, region: str = "US") -> str:
    """The answer straight from phonenumbers, or the refusal's message prefixed with '!'."""
    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return "!is not a phone number"
    if not phonenumbers.is_valid_number(parsed):
        return "!is not a valid phone number"
    return phonenumbers.format_number(parsed, PhoneNumberFormat.E164)


def our_answer(raw: str, region: str = "US") -> str:
    try:
        return to_e164(raw, region)
    except InvalidPhoneNumberError as exc:
        return f"!{exc}"


@pytest.fixture(autouse=True)
def empty_caches() -> None:
    to_e164.cache_clear()
    phone._REFUSALS.clear()


def neighbours_of_examples(rng: random.Random) -> list[str]:
    """Every region's example numbers, and numbers that share their front but not their tail
    (which are sometimes valid, sometimes not), in E.164."""
    numbers = []
    for e164 in example_numbers():
        numbers.append(e164)
        for keep in (len(e164) - 2, len(e164) - 4, len(e164) - 6):
            tail = "".join(rng.choice("0123456789") for _ in e164[keep:])
            numbers.append(e164[:keep] + tail)
    return numbers


def test_every_e164_number_gets_phonenumbers_answer_whatever_came_before() -> None:
    rng = random.Random(7)
    numbers = neighbours_of_examples(rng)
    rng.shuffle(numbers)  # so numbers sharing a prefix meet the cache in any order
    assert len(numbers) > 2000
    valid = 0
    for number in numbers:
        expected = phonenumbers_answer(number)
        assert our_answer(number) == expected, number
        valid += not expected.startswith("!")
    assert 500 < valid < len(numbers)  # both answers were exercised


def test_an_invalid_number_is_refused_after_a_valid_one_of_its_exchange() -> None:
    assert to_e164("+13055550100") == "+13055550100"
    with pytest.raises(InvalidPhoneNumberError, match="is not a valid phone number"):
        to_e164("+1305555010")  # one digit short: another key
    with pytest.raises(InvalidPhoneNumberError, match="is not a valid phone number"):
        to_e164("+15555550100")  # 555 is no area code
    with pytest.raises(InvalidPhoneNumberError, match="is not a valid phone number"):
        to_e164("+15555550199")  # the same refusal, from the cache


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("(719) 313-2645", "+17193132645"),
        ("17193132645", "+17193132645"),
        (" +1 719 313 2645 ", "+17193132645"),
        ("+17193132645", "+17193132645"),
        ("020 7946 0958", "!is not a valid phone number"),
        ("not a number", "!is not a phone number"),
    ],
)
def test_numbers_as_people_write_them(raw: str, expected: str) -> None:
    assert our_answer(raw) == expected == phonenumbers_answer(raw)
