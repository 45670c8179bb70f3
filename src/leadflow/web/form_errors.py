"""Validation messages for forms, keyed by the name of the form field they belong to.

The rules themselves are the API's (its Pydantic schemas and resource rules): a page runs the
same schema and shows each message next to the field pydantic's location points at.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import ValidationError

from leadflow.kit.errors import TrackDriveError

FieldErrors = dict[str, list[str]]
Locator = Callable[[tuple[Any, ...]], tuple[str, str]]


def plain_location(loc: tuple[Any, ...]) -> tuple[str, str]:
    """``("calling_hours", "monday", "open")`` → field ``calling_hours.monday.open``."""
    return ".".join(str(part) for part in loc) or "base", ""


def _plain_choices(expected: str) -> str:
    """pydantic's ``'fifo', 'lifo' or 'random'`` without the Python quotes."""
    return expected.replace("'", "")


# Pydantic's wording ("String should have at least 1 character") is written for developers;
# a form says what to type instead. Keyed by pydantic's error type, filled from its context.
_PLAIN: dict[str, Callable[[dict[str, Any]], str]] = {
    "missing": lambda ctx: "This is required.",
    "string_too_short": lambda ctx: (
        "This is required."
        if ctx.get("min_length") == 1
        else f"Enter at least {ctx.get('min_length')} characters."
    ),
    "string_too_long": lambda ctx: f"Enter at most {ctx.get('max_length')} characters.",
    "too_short": lambda ctx: f"Add at least {ctx.get('min_length')}.",
    "too_long": lambda ctx: f"Keep it to at most {ctx.get('max_length')}.",
    "int_parsing": lambda ctx: "Enter a whole number.",
    "int_type": lambda ctx: "Enter a whole number.",
    "int_from_float": lambda ctx: "Enter a whole number.",
    "float_parsing": lambda ctx: "Enter a number.",
    "float_type": lambda ctx: "Enter a number.",
    "decimal_parsing": lambda ctx: "Enter a number.",
    "bool_parsing": lambda ctx: "Choose yes or no.",
    "greater_than_equal": lambda ctx: f"Enter {ctx.get('ge')} or more.",
    "greater_than": lambda ctx: f"Enter more than {ctx.get('gt')}.",
    "less_than_equal": lambda ctx: f"Enter {ctx.get('le')} or less.",
    "less_than": lambda ctx: f"Enter less than {ctx.get('lt')}.",
    "literal_error": lambda ctx: f"Choose one of {_plain_choices(str(ctx.get('expected')))}.",
    "enum": lambda ctx: f"Choose one of {_plain_choices(str(ctx.get('expected')))}.",
    "string_pattern_mismatch": lambda ctx: "This is not in the expected format.",
    "url_parsing": lambda ctx: "Enter a full address, such as https://example.com/path.",
    "url_scheme": lambda ctx: "Enter an address starting with http:// or https://.",
    "dict_type": lambda ctx: "Enter names with their values.",
    "list_type": lambda ctx: "Enter a list of values.",
    "string_type": lambda ctx: "Enter text.",
    "extra_forbidden": lambda ctx: "This field is not one the form accepts.",
    "datetime_parsing": lambda ctx: "Enter a date and time, such as 2026-12-31 17:30.",
    "date_parsing": lambda ctx: "Enter a date, such as 2026-12-31.",
}


def _message(error: dict[str, Any]) -> str:
    """One error as a person reads it: our own rules' messages as written, pydantic's own
    ones in plain words."""
    plain = _PLAIN.get(str(error.get("type", "")))
    if plain is not None:
        return plain(dict(error.get("ctx") or {}))
    message = str(error.get("msg", "is invalid"))
    return re.sub(r"^(Value error|Assertion failed), ", "", message)


def from_validation(error: ValidationError, locate: Locator = plain_location) -> FieldErrors:
    """Each pydantic error under the form field its location names."""
    fields: FieldErrors = {}
    for item in error.errors():
        name, detail = locate(tuple(item.get("loc", ())))
        text = _message(dict(item))
        fields.setdefault(name, []).append(f"{detail}: {text}" if detail else text)
    return fields


def from_trackdrive(error: TrackDriveError) -> FieldErrors:
    """A resource rule's 422 (``offer_id: must be one of your offers``) as form errors."""
    return {name: list(messages) for name, messages in error.errors.items()}


def merge(*parts: FieldErrors) -> FieldErrors:
    merged: FieldErrors = {}
    for part in parts:
        for name, messages in part.items():
            merged.setdefault(name, []).extend(messages)
    return merged


def first_field(errors: FieldErrors, order: Sequence[str]) -> str | None:
    """The first field with an error, in page order, to say where to look."""
    for name in order:
        if name in errors:
            return name
    return next(iter(errors), None)
