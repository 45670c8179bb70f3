"""Endpoints that are not listings still refuse a query parameter they do not read.

A misspelt filter (``/api/v1/calls/stats?group=sub_id``) must not quietly answer as if it
were absent: the listings name unknown parameters in a 422 (``kit.listing.spec``), and this
dependency does the same for every other GET, reading the names the route itself declares, so
the check can never fall behind the route's signature.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from leadflow.kit.errors import LeadSailError, TrackDriveError
from leadflow.kit.listing.query import UNKNOWN

# TrackDrive accepts credentials in the query string of any request.
GLOBAL_PARAMS = frozenset({"auth_token", "lead_token"})


def _query_names(dependant: Dependant) -> set[str]:
    names = {field.alias for field in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


def _declared(route: APIRoute) -> set[str]:
    # Walked on each request: a handful of fields, on endpoints that are not hot paths.
    return _query_names(route.dependant)


def _unknown(request: Request, allowed: frozenset[str] = frozenset()) -> list[str]:
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return []
    return sorted(set(request.query_params) - _declared(route) - allowed)


async def declared_params_only(request: Request) -> None:
    """TrackDrive's 422 ``{"<name>": ["unknown parameter"]}`` for each query parameter the
    route does not declare."""
    unknown = _unknown(request, GLOBAL_PARAMS)
    if unknown:
        raise TrackDriveError(422, {name: [UNKNOWN] for name in unknown})


async def leadsail_declared_params_only(request: Request) -> None:
    """The same check in LeadSail's dialect (``VALIDATION_ERROR`` with one detail a name)."""
    unknown = _unknown(request)
    if unknown:
        details = [{"field": name, "message": "is not a known parameter"} for name in unknown]
        raise LeadSailError(422, "VALIDATION_ERROR", "Validation failed", details)
