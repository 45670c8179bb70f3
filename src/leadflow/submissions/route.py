"""The LeadSail dialect's route classes (the error handlers read ``dialect`` off the route)
and its success envelope.

``POST``/``GET /api/v1/leads`` and ``GET /api/v1/leads/{id}`` exist in both dialects. The
credential picks the dialect: :class:`ApiKeyRoute` declines a request without ``X-API-Key``,
so Starlette goes on to the TrackDrive route registered after it (``lead_token`` or Basic).
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.routing import APIRoute
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import Scope

from leadflow.kit.auth import API_KEY_HEADER
from leadflow.kit.handlers import LEADSAIL

_HEADER = API_KEY_HEADER.encode()


class LeadSailRoute(APIRoute):
    """Errors on this route are answered ``{"success": false, "error": {...}}``."""

    dialect = LEADSAIL


class ApiKeyRoute(LeadSailRoute):
    """A LeadSail route that only exists for callers sending ``X-API-Key``."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] == "http" and not any(
            name == _HEADER for name, _ in scope.get("headers", ())
        ):
            return Match.NONE, {}
        return super().matches(scope)


def success(data: Any, status: int = 200) -> Response:
    """The LeadSail success envelope: ``{"success": true, "data": ...}``."""
    return Response(
        orjson.dumps({"success": True, "data": data}),
        status_code=status,
        media_type="application/json",
    )


def answer(body: dict[str, Any], status: int = 200) -> Response:
    """A body the dialect documents flat, e.g. a submission's ``{"success": true, "leadId"...}``."""
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")
