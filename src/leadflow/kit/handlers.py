"""Exception handlers: the only place error bodies are built, per dialect, chosen by route."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse

from leadflow.kit.errors import LeadSailError, TrackDriveError

log = logging.getLogger(__name__)

LEADSAIL = "leadsail"
INTAKE_PATH = "/api/v1/leads"


def dialect_of(request: Request) -> str:
    route = request.scope.get("route")
    return getattr(route, "dialect", "trackdrive")


def _field_name(loc: tuple[Any, ...], error_type: str = "") -> str:
    if error_type == "json_invalid":
        # Its location is a character offset in the body, which names no field.
        return "base"
    # Only the first element says where the value came from; a field may be called "body".
    if loc and loc[0] in ("body", "query", "path", "header", "form", "cookie"):
        loc = loc[1:]
    return ".".join(str(part) for part in loc) or "base"


def _trackdrive(error: TrackDriveError) -> JSONResponse:
    return JSONResponse(error.body(), status_code=error.status)


def _leadsail(error: LeadSailError) -> JSONResponse:
    return JSONResponse(error.body(), status_code=error.status)


def validation_error(request: Request, errors: list[dict[str, Any]]) -> JSONResponse:
    if dialect_of(request) == LEADSAIL:
        details = [
            {
                "field": _field_name(tuple(e.get("loc", ())), e.get("type", "")),
                "message": e.get("msg", "invalid"),
            }
            for e in errors
        ]
        return _leadsail(LeadSailError(422, "VALIDATION_ERROR", "Validation failed", details))
    fields: dict[str, list[str]] = {}
    for e in errors:
        fields.setdefault(_field_name(tuple(e.get("loc", ())), e.get("type", "")), []).append(
            e.get("msg", "invalid")
        )
    return _trackdrive(TrackDriveError.invalid(fields))


def _unreadable_body(request: Request, message: str) -> JSONResponse:
    if dialect_of(request) == LEADSAIL:
        details = [{"field": "body", "message": message}]
        return _leadsail(LeadSailError(422, "VALIDATION_ERROR", "Validation failed", details))
    return _trackdrive(TrackDriveError.invalid({"body": [message]}))


def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    """An HTTP error (an unknown URL, a method not allowed ...) in the route's dialect; the web
    app answers browsers' 404s with its own page and everything else with this."""
    message = str(exc.detail)
    if exc.status_code == 400:
        # FastAPI's only 400: a body it could not decode (not UTF-8, say). That is bad
        # input like any other, answered as the 422 every route documents.
        return _unreadable_body(request, f"could not be read: {message}")
    if dialect_of(request) == LEADSAIL:
        code = {401: "UNAUTHORIZED", 404: "NOT_FOUND"}.get(exc.status_code, "ERROR")
        return _leadsail(LeadSailError(exc.status_code, code, message))
    return _trackdrive(TrackDriveError(exc.status_code, {"base": [message]}))


def _is_intake_read(request: Request) -> bool:
    """A GET of the intake URL with a lead token or without credentials: someone (a form
    builder set to GET, a browser) sending a lead the wrong way, not listing leads. A wrong
    key keeps its own message."""
    if request.method != "GET" or request.url.path.rstrip("/") != INTAKE_PATH:
        return False
    has_credentials = "authorization" in request.headers or "x-api-key" in request.headers
    return "lead_token" in request.query_params or not has_credentials


_SEND_WITH_POST = "leads are sent with POST (or PUT) /api/v1/leads and their lead_token"


def _post_leads_instead(exc: TrackDriveError) -> JSONResponse:
    """The documented 401 (the OpenAPI contract lists no 405 here), saying how leads are sent:
    "send Authorization: Basic" alone would lead a publisher astray."""
    message = (
        f"{_SEND_WITH_POST}; listing leads with GET needs Authorization: Basic "
        "base64(public_key:private_key)"
    )
    return _trackdrive(TrackDriveError(401, {"base": [message]}, exc.code))


def install(app: FastAPI) -> None:
    @app.exception_handler(TrackDriveError)
    async def _td(request: Request, exc: TrackDriveError) -> JSONResponse:
        if exc.status == 401 and _is_intake_read(request):
            return _post_leads_instead(exc)
        return _trackdrive(exc)

    @app.exception_handler(LeadSailError)
    async def _ls(request: Request, exc: LeadSailError) -> JSONResponse:
        return _leadsail(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return validation_error(request, list(exc.errors()))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return http_error(request, exc)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        if dialect_of(request) == LEADSAIL:
            return _leadsail(LeadSailError(500, "INTERNAL_ERROR", "Internal error"))
        return _trackdrive(TrackDriveError(500, {"base": ["internal error"]}))
