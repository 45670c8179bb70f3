"""Lead tokens: the free-form data a lead carries. Names are lower snake case; values flat.

Publishers send ``First Name``, ``firstName``, ``address[city]`` or nested JSON; all of them
arrive here and leave as ``first_name`` and ``address_city``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

import orjson

from leadflow.kit import json_depth

TokenValue = str | int | float | bool | None

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
# Letters of any script are kept (``prénom`` stays ``prénom``); everything else separates words.
_NON_WORD = re.compile(r"[\W_]+")
_BRACKETS = re.compile(r"\[([^\]]*)\]")
MAX_DEPTH = 8
_LARGEST_EXACT_NUMBER = 2**63


@lru_cache(maxsize=4096)
def token_name(raw: str) -> str:
    """``First Name`` → ``first_name``; ``address[city]`` → ``address_city``; ``zipCode`` →
    ``zip_code``. Returns "" when nothing word-like is left.

    Cached: a publisher sends the same few names with every lead, and three regular
    expressions per name were a tenth of the cost of reading a post."""
    text = _BRACKETS.sub(r"_\1", raw)
    text = _CAMEL.sub("_", text)
    return _NON_WORD.sub("_", text).strip("_").lower()


def flatten(values: Mapping[str, Any], prefix: str = "", depth: int = 0) -> dict[str, TokenValue]:
    """Nested objects and lists become ``parent_child`` and ``parent_0`` tokens."""
    flat: dict[str, TokenValue] = {}
    for key, value in values.items():
        name = token_name(f"{prefix}_{key}" if prefix else str(key))
        if not name:
            continue
        flat.update(_flatten_value(name, value, depth))
    return flat


def _flatten_value(name: str, value: Any, depth: int) -> dict[str, TokenValue]:
    if depth >= MAX_DEPTH and not isinstance(value, str):
        return {name: orjson.dumps(value).decode()}
    if isinstance(value, Mapping):
        return flatten(value, name, depth + 1)
    if isinstance(value, list | tuple):
        if all(not isinstance(v, Mapping | list | tuple) for v in value):
            joined = ", ".join("" if v is None else str(v) for v in value)
            return {name: joined.replace("\x00", "")}
        out: dict[str, TokenValue] = {}
        for index, item in enumerate(value):
            out.update(_flatten_value(f"{name}_{index}", item, depth + 1))
        return out
    if isinstance(value, str):
        return {name: value.replace("\x00", "")}  # PostgreSQL's JSONB refuses NUL
    if isinstance(value, int | float) and abs(value) >= _LARGEST_EXACT_NUMBER:
        # PostgreSQL's JSONB gives 1e29 back as a 30-digit integer, which no 64-bit JSON
        # encoder can answer; as text it survives both engines unchanged.
        return {name: str(value)}
    if value is None or isinstance(value, int | float | bool):
        return {name: value}
    return {name: str(value)}


PHONE_NAMES = (
    "caller_id",
    "phone",
    "phone_number",
    "mobile",
    "mobile_phone",
    "cell",
    "cell_phone",
    "telephone",
    "tel",
    "primary_phone",
    "home_phone",
    "contact_phone",
)
EMAIL_NAMES = ("email", "email_address", "e_mail", "mail")


class TooManyTokensError(ValueError):
    """Unpacking embedded JSON made more tokens than a lead may carry."""


def expand_embedded_json(
    values: Mapping[str, TokenValue],
    max_depth: int = json_depth.DEFAULT_MAX_DEPTH,
    max_tokens: int | None = None,
) -> dict[str, TokenValue]:
    """Form builders post JSON inside a form field (Unbounce's ``data.json``); unpack it.

    The unpacked JSON is held to the same depth limit as a body (``JsonTooDeepError`` naming
    the field) and the result to ``max_tokens``: 300 fields of 600 keys each once made 180,000
    tokens out of a post that had passed the 500-token cap. It stops as soon as it is over."""
    expanded: dict[str, TokenValue] = {}
    for name, value in values.items():
        if isinstance(value, str) and value[:1] in "{[":
            try:
                decoded = json_depth.loads(value, max_depth, field=name)
            except orjson.JSONDecodeError:
                expanded[name] = value
                continue
            if isinstance(decoded, dict):
                expanded.update(flatten(decoded))
            elif isinstance(decoded, list):
                expanded.update(_flatten_value(name, decoded, 1))
            else:
                expanded[name] = value
        else:
            expanded[name] = value
        if max_tokens is not None and len(expanded) > max_tokens:
            raise TooManyTokensError(f"has more than {max_tokens} tokens")
    return expanded


def find_contact_field(values: Mapping[str, TokenValue], names: Iterable[str]) -> str | None:
    """The first non-empty value whose token name is, or ends with, one of ``names``.

    Exact names win over suffixes so ``phone`` beats ``emergency_contact_phone``; a builder's
    list value (``phone_0``) counts too.
    """
    candidates = tuple(names)
    ranked: list[tuple[int, str]] = []
    for key, value in values.items():
        if value in (None, "") or isinstance(value, bool):
            continue
        bare = re.sub(r"_\d+$", "", key)
        for rank, candidate in enumerate(candidates):
            if bare == candidate:
                ranked.append((rank, str(value)))
            elif bare.endswith("_" + candidate):
                ranked.append((100 + rank, str(value)))
    return min(ranked)[1] if ranked else None
