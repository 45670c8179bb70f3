"""Stored values as people read them on a page: no Python reprs (``['first_name']``,
``False``, ``None``, ``{'a': 1}``) reach the HTML, whatever JSON an event or token holds."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def readable(value: Any) -> str:
    """A JSON value as text: lists joined by commas, objects as ``name: value`` pairs,
    booleans as yes/no, nothing as an empty string."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Mapping):
        return "; ".join(f"{key}: {readable(item)}" for key, item in value.items())
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(readable(item) for item in value)
    return str(value)


def readable_name(key: str) -> str:
    """``schedule_id`` → ``schedule id``: event detail names as words."""
    return key.replace("_", " ")
