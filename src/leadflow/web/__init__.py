"""The server-rendered web app (pages, login, static files).

Pages are plain FastAPI routes answering HTML; they sit outside ``/api`` and out of the
OpenAPI document. No middleware is added, so the API's hot path pays nothing for the web app:
the session is read only by the routes that use it.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from leadflow.app_state import state_of
from leadflow.kit.handlers import http_error
from leadflow.settings import Settings
from leadflow.web.auth import CsrfRejectedError, LoginRequiredError, PageNotFoundError
from leadflow.web.rendering import page, redirect
from leadflow.web.session import SessionSigner, session_secret


def install(app: FastAPI) -> None:
    """Mount the web app's routes and static files on ``app``."""
    from leadflow.web.pages import calls as calls_pages
    from leadflow.web.pages import (
        campaigns,
        dashboard,
        imports,
        leads,
        leads_bulk,
        login,
        reports,
        resources,
        schedules,
        submissions,
        suppression,
    )
    from leadflow.web.pages import distributions as distributions_pages
    from leadflow.web.pages import dnc as dnc_pages
    from leadflow.web.pages import settings_company as settings_company_pages
    from leadflow.web.pages import settings_keys as settings_keys_pages
    from leadflow.web.pages import settings_users as settings_users_pages
    from leadflow.web.pages import settings_webhooks as settings_webhooks_pages

    state = state_of(app)
    settings: Settings = state.settings
    state.web_signer = SessionSigner(
        session_secret(settings), settings.session_max_age_seconds, state.clock
    )
    app.mount(
        "/static",
        StaticFiles(directory=str(Path(__file__).parent / "static")),
        name="static",
    )
    # Before the leads pages: /leads/export.csv and /leads/{uuid} (a submitted lead) are not
    # the lead /leads/{ref}.
    app.include_router(imports.router)
    app.include_router(submissions.router)
    for module in (
        login,
        dashboard,
        schedules,
        leads_bulk,
        leads,
        suppression,
        resources,
        reports,
        campaigns,
        settings_company_pages,
        settings_keys_pages,
        settings_users_pages,
        settings_webhooks_pages,
        calls_pages,
        dnc_pages,
        distributions_pages,
    ):
        app.include_router(module.router)

    @app.exception_handler(LoginRequiredError)
    async def _login_required(request: Request, exc: LoginRequiredError) -> Response:
        # Back to the page after signing in; a form POST cannot be replayed, so the dashboard.
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if request.method != "GET":
            target = "/"
        return redirect(request, "/login?next=" + quote(target, safe=""))

    @app.exception_handler(PageNotFoundError)
    async def _not_found(request: Request, exc: PageNotFoundError) -> Response:
        return page(
            request,
            "error.html",
            status_code=404,
            heading="Not found",
            message="There is nothing here, or it belongs to another company.",
        )

    @app.exception_handler(404)
    async def _unknown_url(request: Request, exc: Exception) -> Response:
        # A browser (it asks for text/html) gets the app's page; API clients keep the JSON.
        wants_page = "text/html" in request.headers.get("accept", "")
        if wants_page and not request.url.path.startswith("/api/"):
            return await _not_found(request, PageNotFoundError())
        assert isinstance(exc, StarletteHTTPException)
        return http_error(request, exc)

    @app.exception_handler(CsrfRejectedError)
    async def _csrf(request: Request, exc: CsrfRejectedError) -> Response:
        return page(
            request,
            "error.html",
            status_code=403,
            heading="Form expired",
            message="This form was missing its security token or it had expired. "
            "Go back, reload the page and try again.",
        )
