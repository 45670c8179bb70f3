"""The LeadSail dialect in one place, as ``kit.envelope`` is TrackDrive's: its route classes
(the error handlers read ``dialect`` off the route), its success envelope and the error bodies
its routes document.

``POST``/``GET /api/v1/leads`` and ``GET /api/v1/leads/{id}`` exist in both dialects. The
credential picks the dialect: :class:`ApiKeyRoute` declines a request without ``X-API-Key``,
so Starlette goes on to the TrackDrive route registered after it (``lead_token`` or Basic).
"""

from __future__ import annotations

from functools import cache
from typing import Any

import orjson
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field, create_model
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import Scope

from leadflow.kit.auth import API_KEY_HEADER
from leadflow.kit.envelope import TrackDriveErrorBody
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


class ErrorDetail(BaseModel):
    field: str = Field(examples=["address.zip"])
    message: str = Field(examples=["must be a 5 or 9 digit ZIP code like 90210 or 90210-1234"])


class ErrorInfo(BaseModel):
    code: str = Field(examples=["VALIDATION_ERROR"])
    message: str = Field(examples=["Validation failed"])
    details: list[ErrorDetail] = Field(default_factory=list)


class LeadSailErrorBody(BaseModel):
    success: bool = Field(default=False, examples=[False])
    error: ErrorInfo


class SubmissionAccepted(BaseModel):
    success: bool = True
    lead_id: str = Field(alias="leadId")
    submission_id: str = Field(alias="submissionId")
    submission_number: int = Field(alias="submissionNumber", examples=[1])
    message: str = Field(examples=["Lead submitted for processing"])
    timestamp: str = Field(examples=["2024-01-15T10:30:00.000Z"])


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": LeadSailErrorBody, "description": "Missing, malformed or unknown X-API-Key"},
    403: {"model": LeadSailErrorBody, "description": "The key lacks the permission"},
    404: {"model": LeadSailErrorBody, "description": "No such lead or campaign in the company"},
    409: {"model": LeadSailErrorBody, "description": "The lead's status does not allow this"},
    422: {"model": LeadSailErrorBody, "description": "Every problem, each naming its field"},
}


# On a path both dialects serve, a request without X-API-Key is answered by the TrackDrive
# route, so its errors may have either shape.
SHARED_ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {
        "model": LeadSailErrorBody | TrackDriveErrorBody,
        "description": f"{answer['description']} (the TrackDrive body without X-API-Key)",
    }
    for status, answer in ERROR_RESPONSES.items()
}


@cache
def _enveloped(name: str, data: Any) -> type[BaseModel]:
    model: type[BaseModel] = create_model(f"LeadSail{name}", success=(bool, True), data=(data, ...))
    return model


def documented(
    name: str, data: Any = None, *, flat: type[BaseModel] | None = None, shared: bool = False
) -> dict[str, Any]:
    """Route keyword arguments publishing the success body (``{"success", "data"}``, or a
    ``flat`` model) and the LeadSail error bodies, so FastAPI's own 422 shape never appears."""
    model = flat or _enveloped(name, data if data is not None else dict[str, Any])
    return {
        "response_model": None,
        "response_class": Response,
        "responses": {
            200: {"model": model},
            **(SHARED_ERROR_RESPONSES if shared else ERROR_RESPONSES),
        },
    }
