"""When a lead may be called or texted: the schedule's hours and the law, in the lead's time.

Where the lead is comes from evidence: the zone(s) its number reveals (libphonenumber's time
zone data, by the number's prefix: the area code in the US, the mobile or geographic prefix
elsewhere, so a UK mobile is on London time), its ``time_zone`` token, its ``state_province``
token and the state of its area code. The evidence may disagree (a Florida mobile carried to
California), so the rules hold in *every* zone and under *every* state the lead may be in: we
call only when it is a lawful hour wherever the person turns out to be. The schedule's own
zone applies only when nothing reveals the lead's: no number, or one that names only a country
spanning several clocks (a US toll-free number), and no ``time_zone`` token.

The cadence's planner and make_call's ``outside_calling_hours`` guard both ask
:func:`calling_rules` and :func:`is_within_calling_hours`, so they always agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers.tzdata import TIMEZONE_DATA, TIMEZONE_LONGEST_PREFIX

from leadflow.kit.number_prefix import PrefixCache
from leadflow.schedules.area_codes import STATE_OF_AREA_CODE
from leadflow.schedules.config import CallingHours
from leadflow.schedules.state_hours import Week, intersect_weeks, legal_week, state_code

_SEARCH_DAYS = 9
# Two instants, in winter and in summer, to tell whether a country's zones keep one clock.
_REFERENCE_INSTANTS = (datetime(2025, 1, 15, 12, tzinfo=UTC), datetime(2025, 7, 15, 12, tzinfo=UTC))
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


def _number_facts(caller_id: str) -> tuple[tuple[str, ...], str | None]:
    """The zones and the US state of a number, from phonenumbers (~130 µs: parse, validate,
    find the region and the zones' prefix); :func:`number_facts` caches it by prefix."""
    try:
        number = phonenumbers.parse(caller_id, "US")
    except phonenumbers.NumberParseException:
        return (), None
    if not phonenumbers.is_valid_number(number):
        return (), None
    zones = _revealed_zones(number)
    state = None
    if phonenumbers.region_code_for_number(number) == "US":
        area_code = int(phonenumbers.national_significant_number(number)[:3])
        state = STATE_OF_AREA_CODE.get(area_code)
    return zones, state


def _revealed_zones(number: phonenumbers.PhoneNumber) -> tuple[str, ...]:
    """The zones libphonenumber's data gives the number's longest known prefix, mobile or
    fixed line alike (its own ``time_zones_for_geographical_number`` reads the same table).

    A prefix no longer than the country code says only which country the number is in: that
    reveals the lead's clock when the country keeps one (the UK and its crown dependencies),
    and nothing when it spans several (the whole NANP for a toll-free number), which leaves
    the choice to the ``time_zone`` token or the schedule's zone."""
    digits = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)[1:]
    for length in range(min(TIMEZONE_LONGEST_PREFIX, len(digits)), 0, -1):
        found = TIMEZONE_DATA.get(digits[:length])
        if found is not None:
            break
    else:
        return ()
    zones = tuple(z for z in found if zone_named(z) is not None)
    if length <= len(str(number.country_code)) and not _one_clock(zones):
        return ()
    return zones


def _one_clock(zones: tuple[str, ...]) -> bool:
    """Whether the zones show the same time, winter and summer."""
    return all(
        len({instant.astimezone(ZoneInfo(zone)).utcoffset() for zone in zones}) <= 1
        for instant in _REFERENCE_INSTANTS
    )


_FACTS = PrefixCache(_number_facts)


def number_facts(caller_id: str | None) -> tuple[tuple[str, ...], str | None]:
    """The zones of a number's area code and its US state, cached by the part of the number
    they depend on (:func:`~leadflow.kit.number_prefix.prefix_key`): the numbers of a burst
    are all different, but share a few thousand prefixes."""
    if not caller_id:
        return (), None
    return _FACTS.get(caller_id)


def zones_of_number(caller_id: str | None) -> tuple[str, ...]:
    """The zones a number reveals (see :func:`_revealed_zones`); none for a US toll-free
    number and the like."""
    return number_facts(caller_id)[0]


def state_of_number(caller_id: str | None) -> str | None:
    """The US state of a number's area code (see ``area_codes``)."""
    return number_facts(caller_id)[1]


def lead_whereabouts(tokens: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """The lead's own word on where it is: its ``time_zone`` token and its ``state_province``
    (or ``state``) token, as :func:`calling_rules` takes them; a value that is not text is
    no evidence."""
    zone = tokens.get("time_zone")
    state = tokens.get("state_province") or tokens.get("state")
    return (zone if isinstance(zone, str) else None, state if isinstance(state, str) else None)


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
