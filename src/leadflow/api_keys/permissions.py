"""What a key pair may be granted: an action on a resource of the company API.

The names are the first path segment after ``/api/v1/`` of the Basic-auth routes, the same
names the routes pass to ``kit.auth.require``; a test keeps the two in step.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, get_args

Action = Literal["read", "write"]

EVERY_RESOURCE = "*"
Resource = Literal[
    "*",
    "offers",
    "schedules",
    "traffic_sources",
    "numbers",
    "leads",
    "contacts",
    "tokens",
    "calls",
    "scheduled_callbacks",
    "subscriptions",
    "api_keys",
    "campaigns",
]
RESOURCES: tuple[str, ...] = tuple(r for r in get_args(Resource) if r != EVERY_RESOURCE)


def beyond_grant(granted: Mapping[str, list[str]], requested: Mapping[str, list[str]]) -> list[str]:
    """``resource:action`` pairs asked for that ``granted`` does not cover: a key may hand on
    only what it holds, or a key allowed to manage keys could mint itself full access."""
    held = {(r, a) for r, actions in granted.items() for a in actions}
    return sorted(
        f"{resource}:{action}"
        for resource, actions in requested.items()
        for action in actions
        if (resource, action) not in held and (EVERY_RESOURCE, action) not in held
    )
