"""When a lead may be called or texted: the schedule's hours and the law, in the lead's time.

Where the lead is comes from evidence: the zone(s) of its number's area code, its
``time_zone`` token, its ``state_province`` token and the state of its area code. The evidence
may disagree (a Florida mobile carried to California), so the rules hold in *every* zone and
under *every* state the lead may be in: we call only when it is a lawful hour wherever the
person turns out to be. With no evidence at all the schedule's own zone applies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from re import _constants as sre  # type: ignore[attr-defined,unused-ignore]
from re import _parser as sre_parse  # type: ignore[attr-defined,unused-ignore]
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE, PhoneMetadata
from phonenumbers import timezone as number_zones
from phonenumbers.tzdata import TIMEZONE_DATA

from leadflow.schedules.area_codes import STATE_OF_AREA_CODE
from leadflow.schedules.config import CallingHours
from leadflow.schedules.state_hours import Week, intersect_weeks, legal_week, state_code

_SEARCH_DAYS = 9
_ZONE_ALIASES = {
    "eastern": "America/New_York",
    "eastern time (us & canada)": "America/New_York",
    "est": "America/New_York",
    "edt": "America/New_York",
    "central": "America/Chicago",
    "central time (us & canada)": "America/Chicago",
    "cst": "America/Chicago",
    "cdt": "America/Chicago",
    "mountain": "America/Denver",
    "mountain time (us & canada)": "America/Denver",
    "mst": "America/Denver",
    "mdt": "America/Denver",
    "arizona": "America/Phoenix",
    "pacific": "America/Los_Angeles",
    "pacific time (us & canada)": "America/Los_Angeles",
    "pst": "America/Los_Angeles",
    "pdt": "America/Los_Angeles",
    "alaska": "America/Anchorage",
    "hawaii": "Pacific/Honolulu",
}


@dataclass(frozen=True)
class LeadCallingRules:
    """Everything needed to answer "may we call now?" for one lead."""

    zones: tuple[str, ...]
    week: Week
    """Windows in minutes after midnight, Monday first, applied in each zone's local time."""
    opened: dict[datetime, bool] = field(default_factory=dict, compare=False, repr=False)
    """Whether the hours are open at an instant, by instant: the leads of a batch share their
    rules and their ``now``."""


@lru_cache(maxsize=1024)
def zone_named(name: str | None) -> ZoneInfo | None:
    """An IANA zone (or a common US name such as ``Eastern`` or ``PST``), or ``None``."""
    if not name or not name.strip():
        return None
    key = _ZONE_ALIASES.get(name.strip().lower(), name.strip())
    try:
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


# -- the part of a number its zone and state depend on -----------------------------------

_E164 = re.compile(r"\+[1-9][0-9]{6,16}")
_DESCS = (
    "general_desc", "fixed_line", "mobile", "toll_free", "premium_rate", "shared_cost",
    "personal_number", "voip", "pager", "uan", "voicemail", "no_international_dialling",
)  # fmt: skip
_DIGIT_CLASSES = ([(sre.CATEGORY, sre.CATEGORY_DIGIT)], [(sre.RANGE, (48, 57))])
_LOOKAROUND = re.compile(r"\(\?[=!<]|\\[1-9]")


def prefix_key(caller_id: str) -> str:
    """``caller_id`` without the trailing digits that no rule of its country reads (its
    length kept), so numbers with the same key have the same zones and state; the number
    itself when it is not plain E.164, parsing would strip a national prefix from it, or
    its country's rules read every digit."""
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


def _number_facts(caller_id: str) -> tuple[tuple[str, ...], str | None]:
    """The zones and the US state of a number, from phonenumbers (~130 µs: parse, validate,
    find the region and the type); :func:`number_facts` caches it by prefix."""
    try:
        number = phonenumbers.parse(caller_id, "US")
    except phonenumbers.NumberParseException:
        return (), None
    if not phonenumbers.is_valid_number(number):
        return (), None
    zones: tuple[str, ...] = ()
    if phonenumbers.is_number_geographical(number):
        found = number_zones.time_zones_for_geographical_number(number)
        zones = tuple(z for z in found if zone_named(z) is not None)
    state = None
    if phonenumbers.region_code_for_number(number) == "US":
        area_code = int(phonenumbers.national_significant_number(number)[:3])
        state = STATE_OF_AREA_CODE.get(area_code)
    return zones, state


_FACTS: dict[str, tuple[tuple[str, ...], str | None]] = {}
_MAX_FACTS = 65536


def number_facts(caller_id: str | None) -> tuple[tuple[str, ...], str | None]:
    """The zones of a number's area code and its US state, cached by the part of the number
    they depend on (:func:`prefix_key`): the numbers of a
    burst are all different, but share a few thousand prefixes."""
    if not caller_id:
        return (), None
    key = prefix_key(caller_id)
    found = _FACTS.get(key)
    if found is None:
        if len(_FACTS) >= _MAX_FACTS:
            _FACTS.clear()
        found = _FACTS[key] = _number_facts(caller_id)
    return found


def zones_of_number(caller_id: str | None) -> tuple[str, ...]:
    """The zones of a geographic number's area code; none for toll-free and the like."""
    return number_facts(caller_id)[0]


def state_of_number(caller_id: str | None) -> str | None:
    """The US state of a number's area code (see ``area_codes``)."""
    return number_facts(caller_id)[1]


_RulesKey = tuple[tuple[str, ...], str | None, str | None, str | None, str]
_BY_HOURS: dict[int, tuple[CallingHours, dict[_RulesKey, LeadCallingRules]]] = {}


def calling_rules(
    caller_id: str | None,
    time_zone: str | None,
    state_province: str | None,
    schedule_zone: str,
    hours: CallingHours,
) -> LeadCallingRules:
    """The lead's rules: the schedule's weekly hours narrowed by the law of every state the
    lead may be in, applied in every zone it may be in.

    Leads with the same evidence share one rules object (so what is derived from it, such as
    whether it is open now, is worked out once per batch). The cache is per ``hours`` object,
    found by identity (hashing a pydantic model costs more than the rest): the entry holds
    the object, so its id cannot be reused by another while the entry lives."""
    zones, number_state = number_facts(caller_id)
    entry = _BY_HOURS.get(id(hours))
    if entry is None or entry[0] is not hours:
        if len(_BY_HOURS) >= 256:
            _BY_HOURS.clear()
        entry = _BY_HOURS[id(hours)] = (hours, {})
    cache = entry[1]
    key = (zones, number_state, time_zone, state_province, schedule_zone)
    found = cache.get(key)
    if found is None:
        if len(cache) >= 4096:
            cache.clear()
        found = cache[key] = _rules(*key, hours)
    return found


def _rules(
    number_zones_: tuple[str, ...],
    number_state: str | None,
    time_zone: str | None,
    state_province: str | None,
    schedule_zone: str,
    hours: CallingHours,
) -> LeadCallingRules:
    zones = list(number_zones_)
    token_zone = zone_named(time_zone)
    if token_zone is not None and token_zone.key not in zones:
        zones.append(token_zone.key)
    if not zones:
        fallback = zone_named(schedule_zone)
        zones.append(fallback.key if fallback is not None else "UTC")
    states = tuple(s for s in {number_state, state_code(state_province)} if s is not None)
    week = intersect_weeks(hours.week(), legal_week(tuple(sorted(states))))
    return LeadCallingRules(zones=tuple(zones), week=week)


def _open_in_zone(rules: LeadCallingRules, zone: ZoneInfo, instant: datetime) -> bool:
    local = instant.astimezone(zone)
    window = rules.week[local.weekday()]
    if window is None:
        return False
    seconds = local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6
    return window[0] * 60 <= seconds < window[1] * 60


def is_within_calling_hours(rules: LeadCallingRules, now: datetime) -> bool:
    """Whether ``now`` is inside the lead's hours in every zone it may be in."""
    opened = rules.opened.get(now)
    if opened is None:
        if len(rules.opened) >= 64:
            rules.opened.clear()
        opened = all(_open_in_zone(rules, ZoneInfo(zone), now) for zone in rules.zones)
        rules.opened[now] = opened
    return opened


def next_open_time(rules: LeadCallingRules, now: datetime) -> datetime | None:
    """The first UTC instant at or after ``now`` when the lead's hours are open, or ``None``
    when they never open (every day closed once the law is applied).

    Hours open at some zone's local opening time, so the answer is ``now`` or the earliest
    such opening that is open everywhere. Opening times are built as local wall times, so
    weeks across a DST change come out right; the law never opens before 08:00, after every
    DST jump, so no opening falls in a skipped hour.
    """
    if is_within_calling_hours(rules, now):
        return now.astimezone(UTC)
    candidates: list[datetime] = []
    for key in rules.zones:
        zone = ZoneInfo(key)
        today = now.astimezone(zone).date()
        for offset in range(_SEARCH_DAYS):
            opening = _opening(rules, zone, today + timedelta(days=offset))
            if opening is not None and opening > now:
                candidates.append(opening)
    for candidate in sorted(candidates):
        if is_within_calling_hours(rules, candidate):
            return candidate
    return None


def _opening(rules: LeadCallingRules, zone: ZoneInfo, day: date) -> datetime | None:
    window = rules.week[day.weekday()]
    if window is None:
        return None
    local = datetime.combine(day, time(window[0] // 60, window[0] % 60), tzinfo=zone)
    return local.astimezone(UTC)
