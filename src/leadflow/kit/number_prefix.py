"""The part of a phone number that phonenumbers' answers depend on.

Validity, type, region and time zone are all read from the front of a number: the patterns
libphonenumber matches a national number against end in runs like ``\\d{4}`` that accept any
digits there. So numbers that differ only in those trailing digits get the same answers, and
a burst of leads (all different numbers, sharing a few thousand exchanges) can be answered
from a cache keyed by :func:`prefix_key` instead of running phonenumbers' ~20 µs per number.
The calling-hours rules and the phone normaliser (``kit.phone``) both key their caches here.

The patterns are read with CPython's private regex parser (``re._parser``), because no public
API exposes a pattern's structure. It is guarded three ways: anything unexpected from it (a
missing name, another tree shape) makes :func:`_free_tail` answer 0, so every digit is kept
and the cache is merely less shared, never wrong; ``tests/kit/test_number_prefix.py`` fails
loudly when the parser's shape changes; and a hypothesis test there checks, across every
region's example numbers, that numbers sharing a key get the same answers from phonenumbers.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from re import _constants as sre  # type: ignore[attr-defined,unused-ignore]
from re import _parser as sre_parse  # type: ignore[attr-defined,unused-ignore]
from typing import Any, Generic, TypeVar

import phonenumbers
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE, PhoneMetadata
from phonenumbers.tzdata import TIMEZONE_DATA

_E164 = re.compile(r"\+[1-9][0-9]{6,16}")
_DESCS = (
    "general_desc", "fixed_line", "mobile", "toll_free", "premium_rate", "shared_cost",
    "personal_number", "voip", "pager", "uan", "voicemail", "no_international_dialling",
)  # fmt: skip
_DIGIT_CLASSES = ([(sre.CATEGORY, sre.CATEGORY_DIGIT)], [(sre.RANGE, (48, 57))])
_LOOKAROUND = re.compile(r"\(\?[=!<]|\\[1-9]")


def prefix_key(caller_id: str) -> str:
    """``caller_id`` without the trailing digits that no rule of its country reads (its
    length kept), so numbers with the same key have the same validity, zones and state; the
    number itself when it is not plain E.164, parsing would strip a national prefix from it,
    or its country's rules read every digit."""
    if not _E164.fullmatch(caller_id):
        return caller_id
    digits = caller_id[1:]
    for size in (1, 2, 3):
        country_code = int(digits[:size])
        if country_code in COUNTRY_CODE_TO_REGION_CODE:
            national = digits[size:]
            national_prefix = _national_prefix(country_code)
            if national.startswith("0") or (
                national_prefix is not None and national_prefix.match(national)
            ):
                return caller_id
            free = _free_tail(country_code, len(national))
            return f"{caller_id[:-free]}:{len(caller_id)}" if free > 0 else caller_id
    return caller_id


V = TypeVar("V")


class PrefixCache(Generic[V]):
    """What ``answer`` says of a number, kept by the number's :func:`prefix_key`, so every
    number sharing that key is answered from the first one's answer; at most ``size`` keys
    (all forgotten at once past that: a burst's exchanges soon come back)."""

    def __init__(self, answer: Callable[[str], V], size: int = 65536) -> None:
        self._answer = answer
        self._size = size
        self._answers: dict[str, V] = {}

    def get(self, number: str, key: str | None = None) -> V:
        """``key``: the number's :func:`prefix_key`, when the caller has it already."""
        key = prefix_key(number) if key is None else key
        try:
            return self._answers[key]
        except KeyError:
            pass
        if len(self._answers) >= self._size:
            self._answers.clear()
        found = self._answers[key] = self._answer(number)
        return found

    def clear(self) -> None:
        self._answers.clear()


@lru_cache(maxsize=512)
def _national_prefix(country_code: int) -> re.Pattern[str] | None:
    """What parsing strips from the front of a national number (the country's main region's
    national prefix), compiled; leading zeros are kept, and counted, by parsing."""
    region = phonenumbers.region_code_for_country_code(country_code)
    metadata = PhoneMetadata.metadata_for_region_or_calling_code(country_code, region)
    pattern = metadata.national_prefix_for_parsing if metadata is not None else None
    return re.compile(pattern) if pattern else None


@lru_cache(maxsize=4096)
def _free_tail(country_code: int, length: int) -> int:
    """:func:`_read_tail`, or 0 (keep every digit) if the private regex parser it reads has
    changed under us: slower, never wrong."""
    try:
        return _read_tail(country_code, length)
    except (AttributeError, TypeError, ValueError, IndexError, KeyError):
        return 0


def _read_tail(country_code: int, length: int) -> int:
    """How many trailing digits of a ``length``-digit national number (from which parsing
    strips nothing) phonenumbers never reads to validate, type, place in a region or zone it
    (nor we to find its area code).

    Validity and type are full matches of each region's number patterns: a pattern ending
    in ``\\d{4}`` cannot tell the last four digits apart. Region, national prefix and zone
    are read from the front: their widest pattern (or the longest zone prefix) bounds the
    head that must be kept. A pattern we cannot reason about (look-arounds) keeps it all."""
    zone_prefix = max(
        (len(key) for key in TIMEZONE_DATA if key.startswith(str(country_code))), default=0
    )
    head = max(3, zone_prefix - len(str(country_code)))
    tail = length
    for region in COUNTRY_CODE_TO_REGION_CODE.get(country_code, ()):
        metadata = PhoneMetadata.metadata_for_region_or_calling_code(country_code, region)
        if metadata is None:
            return 0
        for pattern in (metadata.leading_digits, metadata.national_prefix_for_parsing):
            if pattern:
                if _LOOKAROUND.search(pattern):
                    return 0
                head = max(head, _front(sre_parse.parse(pattern).data, length))
        for name in _DESCS:
            desc = getattr(metadata, name, None)
            pattern = desc.national_number_pattern if desc is not None else None
            if not pattern:
                continue
            if _LOOKAROUND.search(pattern):
                return 0
            tail = min(tail, _free(sre_parse.parse(pattern).data, length))
    return max(0, min(tail, length - head))


def _front(items: list[tuple[Any, Any]], length: int) -> int:
    """How many leading characters a pattern matched at the start of a ``length``-character
    string reads: its widest alternative, leaving out those anchored at the end (``...$``)
    that cannot be ``length`` long."""
    alternatives = (
        [b.data for b in items[0][1][1]]
        if len(items) == 1 and items[0][0] is sre.BRANCH
        else [items]
    )
    widest = 0
    for alternative in alternatives:
        low, high = sre_parse.SubPattern(sre_parse.State(), alternative).getwidth()
        anchored = bool(alternative) and alternative[-1] == (sre.AT, sre.AT_END)
        if anchored and not low <= length <= high:
            continue
        widest = max(widest, length if anchored else high)
    return widest


def _free(items: list[tuple[Any, Any]], length: int | None) -> int:
    """Trailing digits that ``items`` (a parsed regex, matched in full against ``length``
    characters when known) accepts whatever they are. Branches that cannot be ``length``
    long are left out; anything not understood ends the count."""
    count = 0
    for position in range(len(items) - 1, -1, -1):
        op, value = items[position]
        if op is sre.IN and value in _DIGIT_CLASSES:
            count += 1
            length = None if length is None else length - 1
            continue
        if op in (sre.MAX_REPEAT, sre.MIN_REPEAT) and list(value[2]) in (
            [(sre.IN, d)] for d in _DIGIT_CLASSES
        ):
            low, high = int(value[0]), int(value[1])
            if low != high:
                return count + low
            count += low
            length = None if length is None else length - low
            continue
        before = sre_parse.SubPattern(sre_parse.State(), items[:position]).getwidth()
        rest = length - before[0] if length is not None and before[0] == before[1] else None
        if op is sre.SUBPATTERN:
            return count + _free(value[-1].data, rest)
        if op is sre.BRANCH:
            branches = [
                b.data
                for b in value[1]
                if rest is None or b.getwidth()[0] <= rest <= b.getwidth()[1]
            ]
            return count + min((_free(b, rest) for b in branches), default=rest or 0)
        return count
    return count
