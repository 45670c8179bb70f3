"""What a key pair may be granted: an action on a resource of the company API.

The names are the first path segment after ``/api/v1/`` of the Basic-auth routes, the same
names the routes pass to ``kit.auth.require``; a test keeps the two in step.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
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
    "reports",
    "dnc",
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


def networks_beyond(held: Sequence[str], requested: Sequence[str]) -> list[str]:
    """Entries of the ``requested`` IP allowlist outside the ``held`` one (an empty list means
    anywhere): a key usable only from the office may not mint one usable from everywhere."""
    if not held:
        return []
    if not requested:
        return ["any address"]
    own = [ipaddress.ip_network(entry, strict=False) for entry in held]
    beyond = []
    for entry in requested:
        network = ipaddress.ip_network(entry, strict=False)
        inside = any(
            network.version == mine.version and network.subnet_of(mine)  # type: ignore[arg-type]
            for mine in own
        )
        if not inside:
            beyond.append(entry)
    return beyond


def powers_beyond(
    caller_permissions: Mapping[str, list[str]],
    caller_allowlist: Sequence[str],
    permissions: Mapping[str, list[str]],
    allowlist: Sequence[str],
) -> list[str]:
    """What a key (its permissions and allowlist) has that the caller's key has not, as the
    words a 403 names: a key may create, change or revoke only a key no more powerful than
    itself, or a key allowed to manage keys could mint itself full access or revoke the
    company's full-access key."""
    reasons = beyond_grant(caller_permissions, permissions)
    reasons += [f"ip {entry}" for entry in networks_beyond(caller_allowlist, allowlist)]
    return reasons
