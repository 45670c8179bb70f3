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


def _message(error: dict[str, Any]) -> str:
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
