"""Settings → API keys: create a key pair with permissions and an IP allowlist, revoke one.

Creating runs the API's :class:`~leadflow.api_keys.schemas.ApiKeyCreate` and
:func:`~leadflow.api_keys.service.create_key`; revoking runs
:func:`~leadflow.api_keys.service.revoke` and drops this process's cache of verified keys after
the commit, as ``DELETE /api/v1/api_keys/:id`` does. The private key is in the one answer to
the creating POST and nowhere else: only its hash is stored.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.datastructures import FormData
from starlette.responses import Response

from leadflow.api_keys.permissions import EVERY_RESOURCE, RESOURCES
from leadflow.api_keys.repository import ApiKeyRepository
from leadflow.api_keys.schemas import ApiKeyCreate
from leadflow.api_keys.service import create_key, forget_verified_keys_after_commit, revoke
from leadflow.db.session import SessionDep
from leadflow.kit.dependencies import ClockDep
from leadflow.kit.errors import TrackDriveError
from leadflow.models import ApiKey
from leadflow.web.auth import CsrfDep, PageNotFoundError, UserDep, WebUser
from leadflow.web.form_errors import FieldErrors, from_trackdrive, from_validation
from leadflow.web.rendering import page, redirect

router = APIRouter(include_in_schema=False)
ACTIONS = ("read", "write")
GRANTABLE = (EVERY_RESOURCE, *RESOURCES)


def _located(loc: tuple[Any, ...]) -> tuple[str, str]:
    """``("permissions", "offers", 0)`` → the permissions field, detail ``offers.0``: the form
    has one field per top-level name of the body."""
    if not loc:
        return "base", ""
    return str(loc[0]), ".".join(str(part) for part in loc[1:])


def _posted(form: FormData) -> dict[str, Any]:
    """The form as the API's JSON body: checkbox ``perm`` values are ``resource:action``, the
    allowlist one entry per line."""
    permissions: dict[str, list[str]] = {}
    for value in form.getlist("perm"):
        if isinstance(value, str) and ":" in value:
            resource, action = value.rsplit(":", 1)
            permissions.setdefault(resource, []).append(action)
    lines = str(form.get("ip_allowlist") or "").splitlines()
    return {
        "name": str(form.get("name") or "").strip(),
        "permissions": permissions,
        "ip_allowlist": [line.strip() for line in lines if line.strip()],
    }


async def _list_page(
    request: Request,
    user: WebUser,
    db: SessionDep,
    values: dict[str, Any] | None = None,
    errors: FieldErrors | None = None,
    flash: str | None = None,
) -> Response:
    keys = await ApiKeyRepository(db, user.company_id).list()
    shown = values or {"name": "", "permissions": {EVERY_RESOURCE: ["read"]}, "ip_allowlist": []}
    return page(
        request,
        "settings/api_keys.html",
        status_code=422 if errors else 200,
        user=user,
        keys=sorted(keys, key=lambda k: (k.revoked_at is not None, -k.id)),
        values=shown,
        errors=errors or {},
        grantable=GRANTABLE,
        actions=ACTIONS,
        flash=flash,
        section="api_keys",
    )


@router.get("/settings/api_keys")
async def api_keys(request: Request, user: UserDep, db: SessionDep, done: str = "") -> Response:
    flash = "The key is revoked: it no longer works." if done == "revoked" else None
    return await _list_page(request, user, db, flash=flash)


@router.post("/settings/api_keys")
async def create_api_key(
    request: Request, user: UserDep, form: CsrfDep, db: SessionDep, clock: ClockDep
) -> Response:
    raw = _posted(form)
    try:
        body = ApiKeyCreate.model_validate(raw)
        issued = await create_key(db, clock, user.principal, body)
    except ValidationError as exc:
        return await _list_page(request, user, db, raw, from_validation(exc, _located))
    except TrackDriveError as exc:
        return await _list_page(request, user, db, raw, from_trackdrive(exc))
    return page(
        request,
        "settings/api_key_created.html",
        status_code=201,
        user=user,
        key=issued.row,
        private_key=issued.keys.private_key,
        api_url=str(request.base_url).rstrip("/") + "/api/v1/offers",
        section="api_keys",
    )


async def _key(db: SessionDep, user: WebUser, key_id: str) -> ApiKey:
    row = await ApiKeyRepository(db, user.company_id).get(key_id)
    if row is None:
        raise PageNotFoundError
    return row


@router.get("/settings/api_keys/{key_id}/revoke")
async def confirm_revoke(request: Request, key_id: str, user: UserDep, db: SessionDep) -> Response:
    row = await _key(db, user, key_id)
    return page(request, "settings/api_key_revoke.html", user=user, key=row, section="api_keys")


@router.post("/settings/api_keys/{key_id}/revoke")
async def revoke_api_key(
    request: Request, key_id: str, user: UserDep, form: CsrfDep, db: SessionDep, clock: ClockDep
) -> Response:
    row = await _key(db, user, key_id)
    revoke(user.principal, row, clock.now())
    await db.flush()
    forget_verified_keys_after_commit(request, db)
    return redirect(request, "/settings/api_keys?done=revoked")
