"""What a key may grant, and which resources exist to be granted."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from leadflow.api_keys.permissions import RESOURCES, beyond_grant
from leadflow.app import create_app
from leadflow.settings import Settings


def test_a_full_access_key_may_grant_anything() -> None:
    assert beyond_grant({"*": ["read", "write"]}, {"*": ["write"], "leads": ["read"]}) == []


def test_a_key_may_grant_only_actions_it_holds() -> None:
    granted = {"leads": ["read"], "*": ["read"]}
    requested = {"leads": ["read", "write"], "offers": ["read"], "*": ["write"]}
    assert beyond_grant(granted, requested) == ["*:write", "leads:write"]


def test_granting_nothing_is_always_allowed() -> None:
    assert beyond_grant({}, {"offers": []}) == []


def _required_resources(dependant: Dependant) -> Iterator[str]:
    call: Any = dependant.call
    if call is not None and getattr(call, "__qualname__", "") == "require.<locals>.dependency":
        yield inspect.getclosurevars(call).nonlocals["resource"]
    for child in dependant.dependencies:
        yield from _required_resources(child)


def test_every_resource_a_route_requires_can_be_granted() -> None:
    app = create_app(Settings(database_url="sqlite:///unused.db", embedded_worker=False))
    required = {
        resource
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute)
        for resource in _required_resources(context.original_route.dependant)
    }
    assert required
    assert required <= set(RESOURCES)
