"""US state, district, territory and military codes, and the ZIP prefixes that belong to them.

The prefix table covers the 3-digit ZIP ranges; a few 5-digit exceptions (American Samoa's
96799 inside Hawaii's 967, the Pacific freely associated states inside 969) are not modelled.
"""

from __future__ import annotations

from typing import Final

STATES: Final = frozenset(
    {
        *("AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN"),
        *("IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV"),
        *("NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN"),
        *("TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY"),
        "DC",
        *("AS", "GU", "MP", "PR", "VI", "UM", "FM", "MH", "PW"),
        *("AA", "AE", "AP"),
    }
)

# (first prefix, last prefix, state), inclusive; gaps are unassigned prefixes.
ZIP_PREFIX_RANGES: Final[tuple[tuple[int, int, str], ...]] = (
    (5, 5, "NY"),
    (6, 7, "PR"),
    (8, 8, "VI"),
    (9, 9, "PR"),
    (10, 27, "MA"),
    (28, 29, "RI"),
    (30, 38, "NH"),
    (39, 49, "ME"),
    (50, 54, "VT"),
    (55, 55, "MA"),
    (56, 59, "VT"),
    (60, 69, "CT"),
    (70, 89, "NJ"),
    (90, 99, "AE"),
    (100, 149, "NY"),
    (150, 196, "PA"),
    (197, 199, "DE"),
    (200, 200, "DC"),
    (201, 201, "VA"),
    (202, 205, "DC"),
    (206, 219, "MD"),
    (220, 246, "VA"),
    (247, 268, "WV"),
    (270, 289, "NC"),
    (290, 299, "SC"),
    (300, 319, "GA"),
    (320, 339, "FL"),
    (340, 340, "AA"),
    (341, 349, "FL"),
    (350, 369, "AL"),
    (370, 385, "TN"),
    (386, 397, "MS"),
    (398, 399, "GA"),
    (400, 427, "KY"),
    (430, 459, "OH"),
    (460, 479, "IN"),
    (480, 499, "MI"),
    (500, 528, "IA"),
    (530, 549, "WI"),
    (550, 567, "MN"),
    (569, 569, "DC"),
    (570, 577, "SD"),
    (580, 588, "ND"),
    (590, 599, "MT"),
    (600, 629, "IL"),
    (630, 658, "MO"),
    (660, 679, "KS"),
    (680, 693, "NE"),
    (700, 714, "LA"),
    (716, 729, "AR"),
    (730, 732, "OK"),
    (733, 733, "TX"),
    (734, 749, "OK"),
    (750, 799, "TX"),
    (800, 816, "CO"),
    (820, 831, "WY"),
    (832, 838, "ID"),
    (840, 847, "UT"),
    (850, 865, "AZ"),
    (870, 884, "NM"),
    (885, 885, "TX"),
    (889, 898, "NV"),
    (900, 961, "CA"),
    (962, 966, "AP"),
    (967, 968, "HI"),
    (969, 969, "GU"),
    (970, 979, "OR"),
    (980, 994, "WA"),
    (995, 999, "AK"),
)


def state_for_zip(zip_code: str) -> str | None:
    """``90210`` → ``CA``; None for anything that is not a ZIP or falls in an unassigned range."""
    digits = zip_code.strip()[:3]
    if len(digits) != 3 or not (digits.isascii() and digits.isdigit()):
        return None
    prefix = int(digits)
    for first, last, state in ZIP_PREFIX_RANGES:
        if first <= prefix <= last:
            return state
    return None
