"""``kit.number_prefix`` reads CPython's private regex parser: these tests say so loudly when
that parser changes, and check across every region that numbers sharing a key really do get
the same answers from phonenumbers (the cache's one promise)."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from phonenumbers import timezone

from leadflow.kit import number_prefix
from leadflow.kit.number_prefix import prefix_key
from tests.support.phone_examples import example_numbers

EXAMPLES = example_numbers()


def _answers(number: str) -> tuple[object, ...]:
    """Everything Leadflow asks phonenumbers about a number."""
    parsed = phonenumbers.parse(number)
    return (
        phonenumbers.is_valid_number(parsed),
        phonenumbers.is_possible_number(parsed),
        phonenumbers.number_type(parsed),
        phonenumbers.region_code_for_number(parsed),
        tuple(timezone.time_zones_for_number(parsed)),
    )


def test_the_examples_cover_many_regions() -> None:
    regions = {phonenumbers.region_code_for_number(phonenumbers.parse(n)) for n in EXAMPLES}
    assert len(regions) > 200


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(number=st.sampled_from(EXAMPLES), data=st.data())
def test_numbers_sharing_a_key_get_the_same_answers_in_every_region(
    number: str, data: st.DataObject
) -> None:
    key = prefix_key(number)
    kept = len(key.split(":")[0]) if key != number else len(number)
    free = len(number) - kept
    tail = data.draw(st.text("0123456789", min_size=free, max_size=free), label="tail")
    other = number[:kept] + tail
    assert prefix_key(other) == key
    assert _answers(other) == _answers(number), (number, other)


def test_the_private_regex_parser_still_has_the_shape_number_prefix_reads() -> None:
    """If this fails, CPython changed ``re._parser``/``re._constants``: number_prefix then
    keeps every digit (correct but uncached, see ``_free_tail``) until it is brought up to
    date with the new parser, or replaced."""
    from re import _constants as sre  # type: ignore[attr-defined,unused-ignore]
    from re import _parser as sre_parse  # type: ignore[attr-defined,unused-ignore]

    items = sre_parse.parse(r"[2-9]\d{2}(?:0|1)\d{4}").data
    assert [op for op, _ in items] == [sre.IN, sre.MAX_REPEAT, sre.IN, sre.MAX_REPEAT]
    assert items[1][1][:2] == (2, 2)
    assert list(items[1][1][2]) == [(sre.IN, [(sre.CATEGORY, sre.CATEGORY_DIGIT)])]
    branch = sre_parse.parse(r"(?:1\d|2)$").data
    assert branch[0][0] is sre.BRANCH
    assert [tuple(b.getwidth()) for b in branch[0][1][1]] == [(2, 2), (1, 1)]
    assert branch[-1] == (sre.AT, sre.AT_END)
    group = sre_parse.parse(r"(1\d|2)\d").data
    assert group[0][0] is sre.SUBPATTERN
    assert group[0][1][-1].data[0][0] is sre.BRANCH
    width = sre_parse.SubPattern(sre_parse.State(), items).getwidth()
    assert tuple(width) == (8, 8)


def test_the_shared_keys_are_still_shared() -> None:
    """The fallback (keep every digit) would pass the tests above silently; the keys of a US
    and a UK number show the parser is still read: the cache still shares."""
    number_prefix._free_tail.cache_clear()
    assert prefix_key("+13055550100") == "+13055550:12"
    assert prefix_key("+447911123456") == "+447911123:13"
    assert number_prefix._free_tail(1, 10) == 3


def test_a_changed_parser_keeps_every_digit_instead_of_failing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A parser without the names number_prefix reads: numbers are still normalised and
    zoned, each under its own key (correct, only less cached), not a crash on intake."""
    monkeypatch.setattr(number_prefix, "sre_parse", object())
    number_prefix._free_tail.cache_clear()
    try:
        assert prefix_key("+13055550100") == "+13055550100"
    finally:
        number_prefix._free_tail.cache_clear()
