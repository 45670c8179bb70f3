"""The one phone normaliser: everything that stores or compares a number goes through here."""

from __future__ import annotations

import re
from functools import lru_cache, partial

import phonenumbers
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE, PhoneMetadata

from leadflow.kit.number_prefix import PrefixCache, prefix_key


class InvalidPhoneNumberError(ValueError):
    pass


@lru_cache(maxsize=65536)
def to_e164(raw: str, region: str = "US", *, plausible: bool = False) -> str:
    """``(719) 313-2645`` → ``+17193132645``; raises :class:`InvalidPhoneNumberError`.

    By default a number must be valid (assigned ranges in libphonenumber's data): what we dial
    or text must be. ``plausible=True`` asks only that it has the form of a number of its
    country, assigned or not (see :func:`_is_plausible`): the LeadSail submission API stores numbers
    whose only documented rule is "minimum 10 digits", and its own example, ``+15559876543``,
    is in the unassigned 555 range. Dialing such a number is still refused, by its own check.

    A bare 11-digit US number (``17193132645``, as TrackDrive's own examples send) is read as
    national-with-trunk-prefix by libphonenumber, so it parses; a leading ``+`` is honoured.

    A number already written in E.164 is answered from the verdict on its prefix
    (:func:`~leadflow.kit.number_prefix.prefix_key`) when an earlier number had it: such a
    number is its own E.164 form when valid, and its validity is read from that prefix alone.
    Lead posts mostly carry distinct numbers, so the cache by whole number above rarely hits;
    their exchanges repeat.
    """
    text = raw.strip()
    if not text:
        raise InvalidPhoneNumberError("is blank")
    key = prefix_key(text)
    if key == text:  # not plain E.164, or parsing may rewrite it, or it shares no prefix
        return _normalise(text, region, plausible=plausible)
    refusal = (_POSSIBLE_REFUSALS if plausible else _REFUSALS).get(text, key)
    if refusal is not None:
        raise InvalidPhoneNumberError(refusal)
    return text


def _refusal(text: str, plausible: bool = False) -> str | None:
    """Why phonenumbers refuses an E.164 number, or None when it is valid (or, with
    ``plausible``, possible)."""
    try:
        # the region is never read for a number starting with +
        _normalise(text, "US", plausible=plausible)
    except InvalidPhoneNumberError as exc:
        return str(exc)
    return None


def _normalise(text: str, region: str, *, plausible: bool = False) -> str:
    """What phonenumbers says, in full (~20 µs)."""
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhoneNumberError("is not a phone number") from exc
    if plausible:
        if not _is_plausible(parsed):
            raise InvalidPhoneNumberError("is not a plausible phone number for its country")
    elif not phonenumbers.is_valid_number(parsed):
        raise InvalidPhoneNumberError("is not a valid phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _is_plausible(parsed: phonenumbers.PhoneNumber) -> bool:
    """A possible length for its country, and the shape of some number of its country (the
    general pattern of one of its regions: in North America a ``[2-9]`` area code, so
    ``+1 555 987 6543`` is plausible and ``+1 000 000 0000`` is not), whether or not the range
    is assigned."""
    if not phonenumbers.is_possible_number(parsed):
        return False
    national = phonenumbers.national_significant_number(parsed)
    country_code = parsed.country_code or 0
    for region in COUNTRY_CODE_TO_REGION_CODE.get(country_code, ()):
        metadata = PhoneMetadata.metadata_for_region_or_calling_code(country_code, region)
        general = metadata.general_desc if metadata is not None else None
        pattern = general.national_number_pattern if general is not None else None
        if pattern and re.fullmatch(pattern, national):
            return True
    return False


def digits_of(raw: str) -> str:
    """The digits of a number as a caller might type it in a URL path."""
    return "".join(ch for ch in raw if ch.isdigit())


_REFUSALS = PrefixCache(_refusal)
"""By prefix: why numbers written in E.164 are refused, or None when they are valid."""

_POSSIBLE_REFUSALS = PrefixCache(partial(_refusal, plausible=True))
"""By prefix: why numbers written in E.164 are refused by ``plausible`` mode, or None.
Plausibility is read from the country code, the length and the general pattern, which the
prefix key keeps (it keeps every digit any of the country's patterns reads)."""
