"""The TrackDrive envelope, in one place: ``{"status", "errors", "<root>", "metadata"}``."""

from __future__ import annotations

from functools import cache
from typing import Any

import orjson
from pydantic import BaseModel, Field, create_model
from starlette.responses import Response

# Datetimes left in a body are written as kit.values.iso_time writes them (UTC, ``Z``).
_TIME = orjson.OPT_UTC_Z | orjson.OPT_NAIVE_UTC


def one(root: str, payload: Any, status: int = 200, **extra: Any) -> Response:
    """A single record under its singular root name; ``extra`` keys sit beside the root."""
    return Response(
        one_bytes(root, payload, status, **extra), status_code=status, media_type="application/json"
    )


def one_bytes(root: str, payload: Any, status: int = 200, **extra: Any) -> bytes:
    """The body of :func:`one`, for the intake path that answers below the framework."""
    metadata = {"root": root, **extra.pop("metadata", {})}
    body = {"status": status, "errors": {}, root: payload, **extra, "metadata": metadata}
    return orjson.dumps(body, default=_default, option=_TIME)


def many(roots: str, items: list[Any], metadata: dict[str, Any] | None = None) -> Response:
    """A list under its plural root name, with paging metadata."""
    meta = {"root": roots, **(metadata or {})}
    body = {"status": 200, "errors": {}, roots: items, "metadata": meta}
    return Response(
        orjson.dumps(body, default=_default, option=_TIME), media_type="application/json"
    )


def _default(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    raise TypeError(f"cannot serialise {type(value).__name__}")


class TrackDriveErrorBody(BaseModel):
    status: int = Field(examples=[422])
    errors: dict[str, list[str]] = Field(examples=[{"caller_id": ["is not a valid phone number"]}])
    error_code: str | None = None


@cache
def one_model(root: str, item: type[BaseModel]) -> type[BaseModel]:
    """An OpenAPI model of a single-record envelope, so the contract shows the real shape."""
    model: type[BaseModel] = create_model(  # type: ignore[call-overload]
        f"{item.__name__}Envelope",
        status=(int, 200),
        errors=(dict[str, list[str]], {}),
        metadata=(dict[str, Any], {}),
        **{root: (item, ...)},
    )
    return model


@cache
def many_model(roots: str, item: type[BaseModel]) -> type[BaseModel]:
    model: type[BaseModel] = create_model(  # type: ignore[call-overload]
        f"{item.__name__}ListEnvelope",
        status=(int, 200),
        errors=(dict[str, list[str]], {}),
        metadata=(dict[str, Any], {}),
        **{roots: (list[item], ...)},  # type: ignore[valid-type]
    )
    return model


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": TrackDriveErrorBody, "description": "The body could not be read (not UTF-8)"},
    401: {"model": TrackDriveErrorBody, "description": "Missing or unknown credentials"},
    403: {"model": TrackDriveErrorBody, "description": "The key lacks the permission"},
    404: {"model": TrackDriveErrorBody, "description": "No such record in this company"},
    422: {"model": TrackDriveErrorBody, "description": "Each bad field with its messages"},
}


def documented(root: str, item: type[BaseModel], *, plural: bool = False) -> dict[str, Any]:
    """Route keyword arguments that publish the enveloped response and the error bodies."""
    model = many_model(root, item) if plural else one_model(root, item)
    return {
        "response_model": None,
        "response_class": Response,
        "responses": {200: {"model": model}, **ERROR_RESPONSES},
    }
