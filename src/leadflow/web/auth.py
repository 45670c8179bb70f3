"""Who is signed in, and the CSRF check every form POST passes through.

Pages depend on :data:`UserDep`; a visitor without a valid session is sent to the login page.
Every POST route depends on :data:`CsrfDep`, which reads the form once (Starlette caches it
for the endpoint) and refuses it with a 403 unless its ``csrf_token`` is the session's.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import FormData

from leadflow.app_state import app_state
from leadflow.clock import Clock
from leadflow.kit.auth import Principal
from leadflow.users.repository import UserSessionRepository
from leadflow.users.sessions import live_session
from leadflow.web.session import COOKIE_NAME, SessionSigner, WebSession


class LoginRequiredError(Exception):
    """No valid session: the handler redirects to ``/login``."""


class PageNotFoundError(Exception):
    """A row that does not exist or belongs to another company: one 404 page for both."""


class CsrfRejectedError(Exception):
    """A form POST without the session's CSRF token."""


def session_signer(request: Request) -> SessionSigner:
    """The app's cookie signer (on the app's clock), typed."""
    signer: SessionSigner = app_state(request).web_signer
    return signer


def web_session(request: Request) -> WebSession:
    """The visitor's session, read once per request; a new one (and a cookie) when absent."""
    cached: WebSession | None = getattr(request.state, "web_session", None)
    if cached is not None:
        return cached
    signer = session_signer(request)
    session = signer.loads(request.cookies.get(COOKIE_NAME))
    if session is None:
        session = signer.new()
    request.state.web_session = session
    return session


@dataclass(frozen=True)
class WebUser:
    id: int
    company_id: int
    email: str
    session: WebSession
    # The company's time zone, in which every page shows times.
    time_zone: str = "UTC"

    @property
    def principal(self) -> Principal:
        """The user as the API's resource rules see a caller: a company with every right."""
        return Principal(company_id=self.company_id, key_id=0, permissions={"*": ["read", "write"]})


async def current_user(request: Request) -> WebUser:
    """The signed-in user, from the session row the cookie's token names, on each request: a
    session revoked by logout, a password change or removing the user is out at once, in
    every process (one indexed lookup per page, which the web app can afford).

    Read on a session of its own, closed at once: on SQLite an open transaction holds the
    write lock, and pages that act through the group commit (opt out, call now) need it."""
    session = web_session(request)
    if session.token is None:
        raise LoginRequiredError
    clock: Clock = app_state(request).clock
    async with app_state(request).sessionmaker() as db:
        live = await live_session(UserSessionRepository(db), session.token, clock.now())
        if live is not None and live.touched:
            await db.commit()
    if live is None:
        raise LoginRequiredError
    user = live.user
    return WebUser(
        id=user.id,
        company_id=user.company_id,
        email=user.email,
        session=session,
        time_zone=live.time_zone,
    )


async def csrf_checked(request: Request) -> FormData:
    """The POSTed form, once its ``csrf_token`` matched the session's."""
    form = await request.form()
    sent = form.get("csrf_token")
    expected = web_session(request).csrf_token
    if not isinstance(sent, str) or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise CsrfRejectedError
    return form


UserDep = Annotated[WebUser, Depends(current_user)]
CsrfDep = Annotated[FormData, Depends(csrf_checked)]
