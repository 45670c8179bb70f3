"""Signing in and out.

A failed sign-in always takes at least ``login_failure_seconds`` and always says the same
thing, whether the e-mail is unknown or the password wrong (and an unknown e-mail still costs
an argon2 verification), so neither the answer nor its timing tells which part was wrong.
Failures are throttled per account and per client address (``users.throttle``): past a limit
the answer is 429 with ``Retry-After``, before any password is checked, and a warning is logged.
A sign-in opens a server-side session (``users.sessions``); logging out revokes it.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from datetime import datetime

from fastapi import APIRouter, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from leadflow.app_state import app_state
from leadflow.db.session import SessionDep, end_before_group_commit
from leadflow.db.statements import Sql
from leadflow.kit.dependencies import ClockDep, SettingsDep
from leadflow.users.repository import (
    Credentials,
    SignInFailureRepository,
    UserRepository,
    UserSessionRepository,
)
from leadflow.users.service import verified_user_id
from leadflow.users.sessions import end_session, open_session
from leadflow.users.throttle import (
    Attempt,
    Refusal,
    SignInLimits,
    decide_attempt,
    lock_key,
    succeeded,
)
from leadflow.web.auth import CsrfDep, session_signer, web_session
from leadflow.web.rendering import page, redirect

router = APIRouter(include_in_schema=False)
log = logging.getLogger(__name__)

LOGIN_FAILED = "That e-mail and password do not match an account."


def safe_next(target: str | None) -> str:
    """Only a path on this site: ``//evil.example`` or ``https://...`` would be an open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def throttled_message(retry_after_seconds: int) -> str:
    """The same words for an account and an address limit: which one it was is for the log."""
    if retry_after_seconds < 60:
        wait = f"{retry_after_seconds} seconds"
    else:
        minutes = math.ceil(retry_after_seconds / 60)
        wait = "1 minute" if minutes == 1 else f"{minutes} minutes"
    return f"Too many failed sign-ins. Try again in {wait}."


@router.get("/login")
async def login_form(request: Request, next: str = "/") -> Response:
    return page(request, "login.html", next=safe_next(next), email="", error=None)


async def _begin_attempt(
    request: Request,
    db: AsyncSession,
    limits: SignInLimits,
    email: str,
    address: str,
    now: datetime,
) -> tuple[Attempt, Refusal | None, Credentials | None]:
    """Record the attempt, decide whether it may go on, and read the account's id and hash,
    committed before any password is checked: parallel attempts in other processes must see
    this one first, and on SQLite every transaction holds the one write lock, so none may stay
    open through argon2 and the failure delay. It runs as a unit of the next group commit,
    beside other companies' lead posts, rather than in transactions of its own that would
    queue them (see ``users.throttle.decide_attempt``)."""
    await end_before_group_commit(db)
    committer = app_state(request).committer

    def unit(sql: Sql) -> tuple[Attempt, Refusal | None, Credentials | None]:
        return decide_attempt(sql, limits, email, address, now)

    return await committer.run(unit, lock_key(email, address))


def _log_refusal(credentials: Credentials | None, address: str, refusal: Refusal) -> None:
    """A warning naming the account by its id (not the e-mail typed) and the address."""
    account = f"user {credentials.user_id}" if credentials is not None else "no such user"
    log.warning(
        "sign-in refused: too many failures for this %s (account: %s, address: %s); "
        "retry after %d s",
        refusal.scope,
        account,
        address,
        refusal.retry_after_seconds,
    )


@router.post("/login")
async def login(
    request: Request, form: CsrfDep, db: SessionDep, clock: ClockDep, settings: SettingsDep
) -> Response:
    started = time.monotonic()
    email = str(form.get("email") or "")
    password = str(form.get("password") or "")
    target = safe_next(str(form.get("next") or "/"))
    address = request.client.host if request.client else "unknown"
    limits = SignInLimits.from_settings(settings)
    attempt, refusal, credentials = await _begin_attempt(
        request, db, limits, email, address, clock.now()
    )
    if refusal is not None:
        _log_refusal(credentials, address, refusal)
        response = page(
            request,
            "login.html",
            status_code=429,
            next=target,
            email=email,
            error=throttled_message(refusal.retry_after_seconds),
        )
        response.headers["Retry-After"] = str(refusal.retry_after_seconds)
        return response
    user_id = await verified_user_id(credentials, password)
    if user_id is None:
        await asyncio.sleep(max(0.0, settings.login_failure_seconds - (time.monotonic() - started)))
        return page(
            request, "login.html", status_code=401, next=target, email=email, error=LOGIN_FAILED
        )
    # Only now does ``db`` begin its (short) write transaction, committed at the edge.
    await succeeded(SignInFailureRepository(db), attempt)
    await UserRepository(db).touch_login(user_id, clock.now())
    token = open_session(
        UserSessionRepository(db), clock, user_id, settings.session_max_age_seconds
    )
    # A fresh session (and CSRF token) on sign-in: a token planted before it is worth nothing.
    request.state.web_session = session_signer(request).new(token)
    return redirect(request, target)


@router.post("/logout")
async def logout(request: Request, form: CsrfDep, db: SessionDep, clock: ClockDep) -> Response:
    """Revoke the session server-side (committed before the answer leaves), so that a copy of
    the cookie stops working too, then start a fresh visitor session."""
    token = web_session(request).token
    if token is not None:
        await end_session(UserSessionRepository(db), token, clock.now())
    request.state.web_session = session_signer(request).new()
    return redirect(request, "/login")
