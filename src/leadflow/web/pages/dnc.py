"""The do-not-call page: the shared lists in force with their versions and ages, the recent
imports with their rejected rows, and an upload form for smaller lists (the national registry
goes through ``leadflow dnc import``). The lists are the installation's, shared by every
company: an upload here changes them for all, so the form is shown (and a post taken) only for
a company the operator lets change them (``dnc.authority``); others see the lists read-only."""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from starlette.datastructures import UploadFile
from starlette.responses import Response

from leadflow.app_state import app_state
from leadflow.db.session import SessionDep
from leadflow.dnc import authority, imports, repository, upload
from leadflow.dnc.checks import federal_warning
from leadflow.kit.dependencies import ClockDep
from leadflow.web.auth import CsrfDep, UserDep, WebUser
from leadflow.web.rendering import page, redirect

router = APIRouter(include_in_schema=False)
CHUNK = 1024 * 1024
CHANGES: tuple[tuple[str, str], ...] = (
    ("none", "The whole list (replaces the current version)"),
    ("additions", "A change list: numbers to add"),
    ("deletions", "A change list: numbers to remove"),
)


async def dnc_page(
    request: Request,
    user: WebUser,
    db: SessionDep,
    error: str | None = None,
    flash: str | None = None,
    list_value: str = "",
    refused: bool = False,
) -> Response:
    registry = app_state(request).dnc_registry()
    await registry.refresh()  # before the page's session takes SQLite's one connection
    now = app_state(request).clock.now()
    versions = registry.versions()
    read_only = refused or await _refusal(request, user) is not None
    return page(
        request,
        "dnc/index.html",
        status_code=403 if refused else 422 if error else 200,
        user=user,
        read_only=read_only,
        refused=refused,
        lists=[(v, (now - v.updated_at).days) for v in versions],
        imports=await repository.recent_imports(db),
        warning=federal_warning(
            versions, now, app_state(request).settings.dnc_federal_max_age_days
        ),
        errors={"file": [error]} if error else {},
        changes=CHANGES,
        list_value=list_value,
        flash=flash,
    )


async def _refusal(request: Request, user: WebUser) -> str | None:
    """Why the user's company may not change the shared lists, or None. Read on a session of
    its own, closed at once: an upload's import and the registry need SQLite's one connection."""
    async with app_state(request).sessionmaker() as session:
        allowed = app_state(request).settings.dnc_list_companies
        return await authority.refusal_for(session, user.company_id, allowed)


@router.get("/dnc")
async def dnc(request: Request, user: UserDep, db: SessionDep, done: str = "") -> Response:
    flash = f"Imported as version {done}." if done.isdigit() else None
    return await dnc_page(request, user, db, flash=flash)


async def _chunks(file: UploadFile) -> AsyncIterator[bytes]:
    while chunk := await file.read(CHUNK):
        yield chunk


@router.post("/dnc")
async def upload_list(
    request: Request, user: UserDep, form: CsrfDep, db: SessionDep, clock: ClockDep
) -> Response:
    """Import the uploaded file as the named list's new version (or apply it as a change)."""
    if await _refusal(request, user) is not None:
        return await dnc_page(request, user, db, refused=True)
    file = form.get("file")
    list_name = str(form.get("list") or "").strip()
    change = str(form.get("change") or "none")
    if not isinstance(file, UploadFile) or not file.filename:
        return await dnc_page(request, user, db, "Choose a list file to upload.", None, list_name)
    if change not in ("none", "additions", "deletions"):
        change = "none"
    try:
        record = await upload.import_upload(
            app_state(request).sessionmaker,
            app_state(request).settings.dnc_dir,
            clock,
            list_name,
            change,  # type: ignore[arg-type]
            _chunks(file),
            file.filename,
        )
    except (
        imports.UnknownListError,
        imports.ImportConflictError,
        upload.UnreadableUploadError,
    ) as exc:
        return await dnc_page(request, user, db, str(exc), None, list_name)
    return redirect(request, f"/dnc?done={record.version}")
