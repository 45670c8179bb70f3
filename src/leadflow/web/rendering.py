"""Turning a page into a response: the templates, and the session cookie when it changed."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context
from starlette.responses import RedirectResponse, Response

from leadflow.app_state import app_state
from leadflow.settings import Settings
from leadflow.web.auth import web_session
from leadflow.web.display import readable, readable_name
from leadflow.web.session import COOKIE_NAME, SessionSigner

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def compile_templates() -> None:
    """Compile every page template into the environment's cache (it holds 400; there are
    fewer), so a served process pays for it before its first request rather than during it."""
    for name in TEMPLATES.env.list_templates():
        TEMPLATES.env.get_template(name)


def _options(rows: Iterable[Any], label: str = "name") -> list[tuple[Any, Any]]:
    """Rows as ``(id, label)`` pairs for a select."""
    return [(row.id, getattr(row, label)) for row in rows]


def _zip_self(values: Iterable[Any]) -> list[tuple[Any, Any]]:
    """Plain values as ``(value, value)`` pairs for a select."""
    return [(value, value) for value in values]


@pass_context
def _when(context: Context, value: Any) -> str:
    """A stored time as people read it: to the second, in the company's time zone, named by
    its abbreviation (the page footer names the zone in full)."""
    if not isinstance(value, datetime):
        return "" if value is None else str(value)
    if value.tzinfo is None:  # SQLite hands back naive UTC
        value = value.replace(tzinfo=UTC)
    local: datetime = value.astimezone(_zone(context.get("user")))
    return local.strftime("%Y-%m-%d %H:%M:%S %Z")


def zone_of(user: Any) -> ZoneInfo:
    """The company's time zone (UTC when it names none we know)."""
    return _zone(user)


def _zone(user: Any) -> ZoneInfo:
    name = getattr(user, "time_zone", None) or "UTC"
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


TEMPLATES.env.filters["options"] = _options
TEMPLATES.env.filters["when"] = _when
TEMPLATES.env.filters["zip_self"] = _zip_self
TEMPLATES.env.filters["readable"] = readable
TEMPLATES.env.filters["readable_name"] = readable_name


def _with_session(request: Request, response: Response) -> Response:
    session = web_session(request)
    if session.changed:
        settings: Settings = app_state(request).settings
        signer: SessionSigner = app_state(request).web_signer
        response.set_cookie(
            COOKIE_NAME,
            signer.dumps(session),
            max_age=settings.session_max_age_seconds,
            httponly=True,
            secure=settings.session_cookie_secure,
            samesite="lax",
            path="/",
        )
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
    """Render ``template`` with the CSRF token and the signed-in user (if any) at hand."""
    session = web_session(request)
    context.setdefault("user", None)
    context.setdefault("errors", {})
    response = TEMPLATES.TemplateResponse(
        request,
        template,
        {"csrf_token": session.csrf_token, **context},
        status_code=status_code,
    )
    return _with_session(request, response)


def redirect(request: Request, url: str) -> Response:
    """303 See Other: after a POST, the browser GETs the next page."""
    return _with_session(request, RedirectResponse(url, status_code=303))


def clear_session_cookie(request: Request, response: Response) -> Response:
    settings: Settings = app_state(request).settings
    response.delete_cookie(
        COOKIE_NAME,
        path="/",
        httponly=True,
        secure=settings.session_cookie_secure,
        samesite="lax",
    )
    return response
