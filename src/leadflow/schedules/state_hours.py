"""Telemarketing hours the law allows, per US state, as data.

Everyone gets the federal window (08:00 to 21:00 local, the TCPA's); the states below are
stricter. Kept by hand from the states' telephone-solicitation statutes as summarised by
compliance vendors' state tables (checked November 2025), and only as a floor: it is not legal
advice, holidays are not modelled, and the table should be checked when a state changes its
law. Where a state's window binds only some calls (Kentucky, Michigan, Minnesota, Nevada and
New Mexico word theirs for solicitations or automated calls), it is applied to every call and
text: a schedule cannot tell which kind its campaign is, and calling less is the safe side.
A week is seven windows in minutes after midnight, Monday first; ``None`` is a day with no
calls at all.
"""

from __future__ import annotations

Window = tuple[int, int]
Week = tuple[Window | None, ...]


def _daily(open_hhmm: int, close_hhmm: int) -> Window:
    return (open_hhmm // 100 * 60 + open_hhmm % 100, close_hhmm // 100 * 60 + close_hhmm % 100)


def _week(weekdays: Window, saturday: Window | None = None, sunday: Window | None = None) -> Week:
    return (*([weekdays] * 5), saturday, sunday)


EIGHT_TO_NINE = _daily(800, 2100)
EIGHT_TO_EIGHT = _daily(800, 2000)
NINE_TO_NINE = _daily(900, 2100)

FEDERAL_WEEK: Week = _week(EIGHT_TO_NINE, EIGHT_TO_NINE, EIGHT_TO_NINE)

STATE_WEEKS: dict[str, Week] = {
    "AL": _week(EIGHT_TO_EIGHT, EIGHT_TO_EIGHT, None),
    "CT": _week(_daily(900, 2000), _daily(900, 2000), _daily(900, 2000)),
    "FL": _week(EIGHT_TO_EIGHT, EIGHT_TO_EIGHT, EIGHT_TO_EIGHT),
    "KY": _week(_daily(1000, 2100), _daily(1000, 2100), _daily(1000, 2100)),
    "LA": _week(EIGHT_TO_EIGHT, EIGHT_TO_EIGHT, None),
    "MA": _week(EIGHT_TO_EIGHT, EIGHT_TO_EIGHT, EIGHT_TO_EIGHT),
    "MD": _week(EIGHT_TO_EIGHT, EIGHT_TO_EIGHT, EIGHT_TO_EIGHT),
    "MI": _week(NINE_TO_NINE, NINE_TO_NINE, NINE_TO_NINE),
    "MN": _week(NINE_TO_NINE, NINE_TO_NINE, NINE_TO_NINE),
    "MS": _week(EIGHT_TO_EIGHT, EIGHT_TO_EIGHT, None),
    "NM": _week(NINE_TO_NINE, NINE_TO_NINE, NINE_TO_NINE),
    "NV": _week(_daily(900, 2000), _daily(900, 2000), _daily(900, 2000)),
    "OK": _week(EIGHT_TO_EIGHT, EIGHT_TO_EIGHT, EIGHT_TO_EIGHT),
    "PA": _week(EIGHT_TO_NINE, EIGHT_TO_NINE, _daily(1330, 2100)),
    "RI": _week(_daily(900, 1800), _daily(1000, 1700), None),
    "TX": _week(NINE_TO_NINE, NINE_TO_NINE, _daily(1200, 2100)),
    "UT": _week(EIGHT_TO_NINE, EIGHT_TO_NINE, None),
    "WA": _week(EIGHT_TO_EIGHT, EIGHT_TO_EIGHT, EIGHT_TO_EIGHT),
}

STATE_CODES: dict[str, str] = {
    "alabama": "AL", "alaska": "AK", "arizona": "AZ", "arkansas": "AR", "california": "CA",
    "colorado": "CO", "connecticut": "CT", "delaware": "DE", "florida": "FL", "georgia": "GA",
    "hawaii": "HI", "idaho": "ID", "illinois": "IL", "indiana": "IN", "iowa": "IA",
    "kansas": "KS", "kentucky": "KY", "louisiana": "LA", "maine": "ME", "maryland": "MD",
    "massachusetts": "MA", "michigan": "MI", "minnesota": "MN", "mississippi": "MS",
    "missouri": "MO", "montana": "MT", "nebraska": "NE", "nevada": "NV",
    "new hampshire": "NH", "new jersey": "NJ", "new mexico": "NM", "new york": "NY",
    "north carolina": "NC", "north dakota": "ND", "ohio": "OH", "oklahoma": "OK",
    "oregon": "OR", "pennsylvania": "PA", "rhode island": "RI", "south carolina": "SC",
    "south dakota": "SD", "tennessee": "TN", "texas": "TX", "utah": "UT", "vermont": "VT",
    "virginia": "VA", "washington": "WA", "washington state": "WA", "west virginia": "WV",
    "wisconsin": "WI", "wyoming": "WY", "district of columbia": "DC",
    "washington d.c.": "DC", "puerto rico": "PR",
}  # fmt: skip
_CODES = frozenset(STATE_CODES.values())


def state_code(text: str | None) -> str | None:
    """A US state's two-letter code from ``FL``, ``Florida`` or a geocoder's ``Miami, FL``."""
    if not text:
        return None
    cleaned = text.strip()
    if cleaned.upper() in _CODES:
        return cleaned.upper()
    if cleaned.lower() in STATE_CODES:
        return STATE_CODES[cleaned.lower()]
    last = cleaned.rsplit(",", 1)[-1].strip()
    if last != cleaned:
        return state_code(last)
    return None


def legal_week(states: tuple[str, ...]) -> Week:
    """The federal window narrowed by every state the lead may be in."""
    week = FEDERAL_WEEK
    for state in states:
        if state in STATE_WEEKS:
            week = intersect_weeks(week, STATE_WEEKS[state])
    return week


def intersect_weeks(first: Week, second: Week) -> Week:
    return tuple(_intersect(a, b) for a, b in zip(first, second, strict=True))


def _intersect(first: Window | None, second: Window | None) -> Window | None:
    if first is None or second is None:
        return None
    start, end = max(first[0], second[0]), min(first[1], second[1])
    return (start, end) if start < end else None
