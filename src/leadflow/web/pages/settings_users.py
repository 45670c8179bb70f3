"""Settings → Users: add a user, reset a password, disable or enable a user, remove a user.

Each runs the users service the CLI runs (:func:`create_user`, :func:`change_password`,
:func:`remove_user`), so its rules (e-mail syntax, one login per e-mail, the minimum password
length) and its effects hold here too: a new password ends every other session of that user,
and removing a user ends theirs at once. A generated password is shown once, on the answer to
the POST. Disabling keeps the account but signs the user out everywhere and refuses their
sign-in until enabled again. Nobody removes or disables themselves here, so a company always
keeps a user who can sign in.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from leadflow.companies.repository import CompanyRepository
from leadflow.db.session import SessionDep
from leadflow.kit.dependencies import ClockDep
from leadflow.models import User
from leadflow.users.passwords import MIN_PASSWORD_LENGTH, generate_password
from leadflow.users.repository import UserRepository
from leadflow.users.service import (
    UserError,
    change_password,
    create_user,
    disable_user,
    enable_user,
    remove_user,
)
from leadflow.web.auth import CsrfDep, PageNotFoundError, UserDep, WebUser
from leadflow.web.rendering import page, redirect

router = APIRouter(include_in_schema=False)
FLASH = {
    "added": "The user is added; they sign in with the password you chose.",
    "removed": "The user is removed and signed out everywhere.",
    "disabled": "The user is disabled and signed out everywhere; enable them to let them back in.",
    "enabled": "The user is enabled and can sign in again with their password.",
}


async def _list_page(
    request: Request,
    user: WebUser,
    db: SessionDep,
    values: dict[str, str] | None = None,
    errors: dict[str, list[str]] | None = None,
    flash: str | None = None,
) -> Response:
    people = await UserRepository(db).of_company(user.company_id)
    return page(
        request,
        "settings/users.html",
        status_code=422 if errors else 200,
        user=user,
        people=people,
        values=values or {},
        errors=errors or {},
        min_length=MIN_PASSWORD_LENGTH,
        flash=flash,
        section="users",
    )


async def _person(db: SessionDep, user: WebUser, user_id: str) -> User:
    found = None
    if user_id.isascii() and user_id.isdigit() and int(user_id) < 2**63:
        found = await UserRepository(db).in_company(user.company_id, int(user_id))
    if found is None:
        raise PageNotFoundError
    return found


@router.get("/settings/users")
async def users(request: Request, user: UserDep, db: SessionDep, done: str = "") -> Response:
    return await _list_page(request, user, db, flash=FLASH.get(done))


@router.post("/settings/users")
async def add_user(
    request: Request, user: UserDep, form: CsrfDep, db: SessionDep, clock: ClockDep
) -> Response:
    email = str(form.get("email") or "")
    chosen = str(form.get("password") or "") or None
    try:
        created = await create_user(
            UserRepository(db), CompanyRepository(db), clock, user.company_id, email, chosen
        )
    except UserError as exc:
        return await _list_page(request, user, db, {"email": email}, {exc.field: [exc.message]})
    if chosen is not None:
        return redirect(request, "/settings/users?done=added")
    return page(
        request,
        "settings/user_password.html",
        status_code=201,
        user=user,
        person=created.user,
        password=created.password,
        heading="User added",
        section="users",
    )


async def _confirm(
    request: Request, user: WebUser, db: SessionDep, user_id: str, operation: str
) -> Response:
    person = await _person(db, user, user_id)
    return page(
        request,
        "settings/user_confirm.html",
        user=user,
        person=person,
        operation=operation,
        min_length=MIN_PASSWORD_LENGTH,
        section="users",
    )


@router.get("/settings/users/{user_id}/remove")
async def confirm_remove(request: Request, user_id: str, user: UserDep, db: SessionDep) -> Response:
    return await _confirm(request, user, db, user_id, "remove")


@router.get("/settings/users/{user_id}/disable")
async def confirm_disable(
    request: Request, user_id: str, user: UserDep, db: SessionDep
) -> Response:
    return await _confirm(request, user, db, user_id, "disable")


@router.get("/settings/users/{user_id}/reset_password")
async def confirm_reset(request: Request, user_id: str, user: UserDep, db: SessionDep) -> Response:
    return await _confirm(request, user, db, user_id, "reset_password")


@router.post("/settings/users/{user_id}/reset_password")
async def reset_user_password(
    request: Request, user_id: str, user: UserDep, form: CsrfDep, db: SessionDep, clock: ClockDep
) -> Response:
    person = await _person(db, user, user_id)
    chosen = str(form.get("password") or "")
    password = chosen or generate_password()
    # Resetting one's own password keeps this session: the others end.
    keep = user.session.token if person.id == user.id else None
    try:
        await change_password(UserRepository(db), clock, person, password, keep_session_token=keep)
    except UserError as exc:
        return page(
            request,
            "settings/user_confirm.html",
            status_code=422,
            user=user,
            person=person,
            operation="reset_password",
            min_length=MIN_PASSWORD_LENGTH,
            errors={exc.field: [exc.message]},
            section="users",
        )
    return page(
        request,
        "settings/user_password.html",
        user=user,
        person=person,
        # A password typed on the form is known already; only a generated one is shown.
        password=None if chosen else password,
        heading="Password reset",
        section="users",
    )


def _not_yourself(request: Request, user: WebUser, verb: str) -> Response:
    return page(
        request,
        "error.html",
        status_code=409,
        user=user,
        heading=f"You cannot {verb} yourself",
        message=f"Ask another user of your company to {verb} you, so that someone can "
        "still sign in.",
    )


@router.post("/settings/users/{user_id}/remove")
async def remove(
    request: Request, user_id: str, user: UserDep, form: CsrfDep, db: SessionDep, clock: ClockDep
) -> Response:
    person = await _person(db, user, user_id)
    if person.id == user.id:
        return _not_yourself(request, user, "remove")
    await remove_user(UserRepository(db), clock, person)
    return redirect(request, "/settings/users?done=removed")


@router.post("/settings/users/{user_id}/disable")
async def disable(
    request: Request, user_id: str, user: UserDep, form: CsrfDep, db: SessionDep, clock: ClockDep
) -> Response:
    person = await _person(db, user, user_id)
    if person.id == user.id:
        return _not_yourself(request, user, "disable")
    await disable_user(UserRepository(db), clock, person)
    return redirect(request, "/settings/users?done=disabled")


@router.post("/settings/users/{user_id}/enable")
async def enable(
    request: Request, user_id: str, user: UserDep, form: CsrfDep, db: SessionDep, clock: ClockDep
) -> Response:
    """Enabling takes nothing away, so it needs no confirmation page."""
    person = await _person(db, user, user_id)
    await enable_user(UserRepository(db), clock, person)
    return redirect(request, "/settings/users?done=enabled")
