"""One depth limit for every JSON value a caller sends (``LEADFLOW_MAX_JSON_DEPTH``).

Why: code that walks a caller's JSON (token flattening, encoders, validators) recurses, and a
300-level body made it fail with a 500 instead of telling the caller. The body is decoded by
orjson (which itself stops at 1,024 levels), then measured here without recursion, so the
check costs one pass over the containers only (a lead's scalars are not visited twice).

Every place that decodes caller JSON asks :func:`deepest_field`: the request wrapper
(``kit.body_limit``) for every JSON body FastAPI parses, ``leads.params.merge_body`` for the
lead post's fast path, and the lead tokens for JSON embedded in a form field.
"""

from __future__ import annotations

from typing import Any

import orjson

DEFAULT_MAX_DEPTH = 32


class JsonTooDeepError(ValueError):
    """A JSON value nested deeper than allowed; ``field`` is the top-level key that holds it
    (``body`` when the body itself is a too deep list)."""

    def __init__(self, field: str, limit: int) -> None:
        self.field = field
        self.limit = limit
        self.message = f"is nested more than {limit} levels deep"
        super().__init__(f"{field} {self.message}")


def deepest_field(value: Any, limit: int) -> str | None:
    """The top-level field of the first container nested deeper than ``limit`` levels (the
    body's own object or list is level 1), or None when ``value`` is within it."""
    if not isinstance(value, dict | list):
        return None
    stack: list[tuple[str, Any, int]]
    if isinstance(value, dict):
        stack = [(str(k), v, 2) for k, v in value.items() if isinstance(v, dict | list)]
    else:
        stack = [("body", v, 2) for v in value if isinstance(v, dict | list)]
    while stack:
        field, node, depth = stack.pop()
        if depth > limit:
            return field
        children = node.values() if isinstance(node, dict) else node
        for child in children:
            if isinstance(child, dict | list):
                stack.append((field, child, depth + 1))
    return None


def check(value: Any, limit: int, field: str | None = None) -> None:
    """Raise :class:`JsonTooDeepError` when ``value`` is nested deeper than ``limit``; ``field``
    names it when it is JSON found inside one field (a form field holding JSON) rather than a
    whole body."""
    found = deepest_field(value, limit)
    if found is not None:
        raise JsonTooDeepError(field or found, limit)


def loads(data: bytes | str, limit: int, field: str | None = None) -> Any:
    """``orjson.loads`` refusing values deeper than ``limit`` (``orjson.JSONDecodeError`` for
    text that is not JSON, as before)."""
    value = orjson.loads(data)
    check(value, limit, field)
    return value
