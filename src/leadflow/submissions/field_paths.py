"""Dotted field paths (``address.state``, ``questionnaire.filing_for``) into a lead's data.

Routing rules, DQ rules, required fields, qualification, dynamic keys and the payload tree all
name lead data the same way, so they share one reader and one writer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final


class Missing:
    """The value of a path that leads nowhere; distinct from an explicit ``null``."""

    _instance: Missing | None = None

    def __new__(cls) -> Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Final = Missing()


def field_value(data: Any, path: str) -> Any:
    """The value at ``path``, or :data:`MISSING`.

    A list is indexed by number (``files.0.fileUrl``); a list of ``{key, answer}`` items (the
    questionnaire's array form) is looked up by key, so ``questionnaire.filing_for`` reads the
    same lead whichever form the seller used.
    """
    current = data
    for part in path.split("."):
        current = _step(current, part)
        if current is MISSING:
            return MISSING
    return current


def _step(current: Any, part: str) -> Any:
    if isinstance(current, Mapping):
        return current.get(part, MISSING)
    if isinstance(current, list):
        if part.isdigit():
            index = int(part)
            return current[index] if index < len(current) else MISSING
        for item in current:
            if isinstance(item, Mapping) and item.get("key") == part and "answer" in item:
                return item["answer"]
    return MISSING


def is_present(value: Any) -> bool:
    """Whether a value counts as given: not missing, not null, not blank, not empty.

    A blank string is absent on purpose: an empty field must never satisfy ``exists``, a
    required field or a duplicate key.
    """
    if value is MISSING or value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, (list, dict)):
        return bool(value)
    return True


def with_field(data: Mapping[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of ``data`` with ``value`` set at ``path``, creating objects on the way."""
    head, _, rest = path.partition(".")
    copied = dict(data)
    if not rest:
        copied[head] = value
        return copied
    inner = copied.get(head)
    copied[head] = with_field(inner if isinstance(inner, Mapping) else {}, rest, value)
    return copied
