"""The one phone normaliser: everything that stores or compares a number goes through here."""

from __future__ import annotations

from functools import lru_cache

import phonenumbers


class InvalidPhoneNumberError(ValueError):
    pass


@lru_cache(maxsize=65536)
def to_e164(raw: str, region: str = "US") -> str:
    """``(719) 313-2645`` → ``+17193132645``; raises :class:`InvalidPhoneNumberError`.

    A bare 11-digit US number (``17193132645``, as TrackDrive's own examples send) is read as
    national-with-trunk-prefix by libphonenumber, so it parses; a leading ``+`` is honoured.
    """
    text = raw.strip()
    if not text:
        raise InvalidPhoneNumberError("is blank")
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhoneNumberError("is not a phone number") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidPhoneNumberError("is not a valid phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def digits_of(raw: str) -> str:
    """The digits of a number as a caller might type it in a URL path."""
    return "".join(ch for ch in raw if ch.isdigit())
