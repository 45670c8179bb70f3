"""Signing in and out.

A failed sign-in always takes at least ``login_failure_seconds`` and always says the same
thing, whether the e-mail is unknown or the password wrong (and an unknown e-mail still costs
an argon2 verification), so neither the answer nor its timing tells which part was wrong.
"""

from __future__ import annotations

import asyncio
import time

from fastapi import APIRouter, Request
from starlette.responses import Response

from leadflow.db.session import SessionDep
from leadflow.kit.dependencies import ClockDep, SettingsDep
from leadflow.users.repository import UserRepository
from leadflow.users.service import authenticate
from leadflow.web.auth import CsrfDep, web_session
from leadflow.web.rendering import page, redirect
from leadflow.web.session import WebSession

router = APIRouter(include_in_schema=False)

LOGIN_FAILED = "That e-mail and password do not match an account."


def safe_next(target: str | None) -> str:
    """Only a path on this site: ``//evil.example`` or ``https://...`` would be an open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@router.get("/login")
async def login_form(request: Request, next: str = "/") -> Response:
    return page(request, "login.html", next=safe_next(next), email="", error=None)


@router.post("/login")
async def login(
    request: Request, form: CsrfDep, db: SessionDep, clock: ClockDep, settings: SettingsDep
) -> Response:
    started = time.monotonic()
    email = str(form.get("email") or "")
    password = str(form.get("password") or "")
    target = safe_next(str(form.get("next") or "/"))
    repo = UserRepository(db)
    user = await authenticate(repo, email, password)
    if user is None:
        await asyncio.sleep(max(0.0, settings.login_failure_seconds - (time.monotonic() - started)))
        return page(
            request, "login.html", status_code=401, next=target, email=email, error=LOGIN_FAILED
        )
    await repo.touch_login(user.id, clock.now())
    # A fresh session (and CSRF token) on sign-in: a token planted before it is worth nothing.
    request.state.web_session = WebSession(
        user_id=user.id, company_id=user.company_id, changed=True
    )
    return redirect(request, target)


@router.post("/logout")
async def logout(request: Request, form: CsrfDep) -> Response:
    web_session(request)
    request.state.web_session = WebSession(changed=True)
    return redirect(request, "/login")
