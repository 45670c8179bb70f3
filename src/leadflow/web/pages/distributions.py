"""A router schedule's distributions page: which schedule each posted lead goes to, by its
conditions (field, operator, value rows), priority and weight.

Every distribution goes through the distributions API's own schema (``DistributionCreate``)
and its target rule (a caller schedule of the company, never another router), all of them
before anything is written, so a refused form changes nothing. Saving a page that no longer
shows a stored distribution deletes it, after a confirmation that names it. Intake reads a
router's distributions afresh for every lead, so the next lead is routed by what was saved.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.datastructures import FormData
from starlette.responses import Response

from leadflow.db.session import SessionDep, flush_or_422
from leadflow.distributions.matching import validate_target
from leadflow.distributions.repository import DistributionRepository
from leadflow.distributions.schemas import (
    CONDITIONS_HELP,
    PRIORITY_HELP,
    WEIGHT_HELP,
    DistributionCreate,
    DistributionUpdate,
)
from leadflow.distributions.service import create_distribution, update_distribution
from leadflow.kit.dependencies import ClockDep
from leadflow.kit.errors import TrackDriveError
from leadflow.models import Distribution, Schedule
from leadflow.models.schedule import CONTACT_CALLER, LEAD_DISTRIBUTION
from leadflow.schedules.repository import ScheduleRepository
from leadflow.web import distribution_editor as editor
from leadflow.web.auth import CsrfDep, PageNotFoundError, UserDep, WebUser
from leadflow.web.form_errors import FieldErrors, from_validation, merge
from leadflow.web.rendering import page, redirect

router = APIRouter(include_in_schema=False)


async def _schedule(db: SessionDep, user: WebUser, ref: str) -> Schedule:
    row = await ScheduleRepository(db, user.company_id).get(ref)
    if row is None:
        raise PageNotFoundError
    return row


async def _page(
    request: Request,
    user: WebUser,
    db: SessionDep,
    row: Schedule,
    drafts: list[editor.DistributionDraft],
    errors: FieldErrors,
    status_code: int = 200,
    flash: str | None = None,
) -> Response:
    schedules = await ScheduleRepository(db, user.company_id).list()
    targets = [(str(s.id), s.name) for s in schedules if s.schedule_type == CONTACT_CALLER]
    return page(
        request,
        "schedules/distributions.html",
        status_code=status_code,
        user=user,
        schedule=row,
        is_router=row.schedule_type == LEAD_DISTRIBUTION,
        drafts=drafts,
        errors=errors,
        targets=[("", "Choose a schedule"), *targets],
        operators=editor.OPERATOR_CHOICES,
        value_hint=editor.VALUE_HINT,
        help={"priority": PRIORITY_HELP, "weight": WEIGHT_HELP, "conditions": CONDITIONS_HELP},
        flash=flash,
    )


@router.get("/schedules/{schedule_id}/distributions")
async def distributions(
    request: Request, schedule_id: str, user: UserDep, db: SessionDep, saved: bool = False
) -> Response:
    row = await _schedule(db, user, schedule_id)
    stored = await DistributionRepository(db, user.company_id, row.id).list()
    drafts = editor.drafts_of(stored)
    flash = "Distributions saved." if saved else None
    return await _page(request, user, db, row, drafts, {}, flash=flash)


async def _checked(
    db: SessionDep, user: WebUser, row: Schedule, drafts: list[editor.DistributionDraft]
) -> tuple[list[DistributionCreate], FieldErrors]:
    """Every draft through the API's schema and target rule; errors under their fields."""
    bodies: list[DistributionCreate] = []
    errors: FieldErrors = {}
    schedules = ScheduleRepository(db, user.company_id)
    for index, draft in enumerate(drafts):
        try:
            body = DistributionCreate.model_validate(editor.body_of(draft))
        except ValidationError as exc:
            errors = merge(errors, from_validation(exc, editor.locator(index, draft)))
            continue
        target = await schedules.get(body.target_schedule_id)
        try:
            if target is None:
                raise TrackDriveError.field("target_schedule_id", "is not one of your schedules")
            validate_target(row.schedule_type, target.schedule_type)
        except TrackDriveError as exc:
            found = {f"d{index}.{name}": list(messages) for name, messages in exc.errors.items()}
            errors = merge(errors, found)
            continue
        bodies.append(body)
    return bodies, errors


def _confirm_removal(
    request: Request, user: WebUser, row: Schedule, form: FormData, removed: list[Distribution]
) -> Response:
    names = ", ".join(d.name or f"#{d.id}" for d in removed)
    count = len(removed)
    noun = "distribution" if count == 1 else "distributions"
    return page(
        request,
        "confirm.html",
        user=user,
        heading=f"Delete {count} {noun} of {row.name}",
        message=f"Saving deletes {names}: the leads it took go to the other distributions, "
        "or are refused when none matches.",
        action=f"/schedules/{row.id}/distributions",
        hidden=[(k, v) for k, v in form.multi_items() if k not in ("csrf_token", "confirm")],
        button=f"Save and delete {count} {noun}",
        back=f"/schedules/{row.id}/distributions",
    )


@router.post("/schedules/{schedule_id}/distributions")
async def save_distributions(
    request: Request,
    schedule_id: str,
    user: UserDep,
    form: CsrfDep,
    db: SessionDep,
    clock: ClockDep,
) -> Response:
    """Save, or (``op`` add, delete, add_condition, delete_condition) change the unsaved page
    and show it again."""
    row = await _schedule(db, user, schedule_id)
    if row.schedule_type != LEAD_DISTRIBUTION:
        return redirect(request, f"/schedules/{row.id}/distributions")
    drafts = editor.posted_drafts(form)
    if editor.apply_operation(drafts, str(form.get("op") or "save")):
        return await _page(request, user, db, row, drafts, {})
    bodies, errors = await _checked(db, user, row, drafts)
    if errors:
        return await _page(request, user, db, row, drafts, errors, 422)
    repo = DistributionRepository(db, user.company_id, row.id)
    stored: dict[str, Distribution] = {str(d.id): d for d in await repo.list()}
    kept = {draft.id for draft in drafts}
    removed = [d for ref, d in stored.items() if ref not in kept]
    if removed and form.get("confirm") != "yes":
        return _confirm_removal(request, user, row, form, removed)
    now = clock.now()
    for draft, body in zip(drafts, bodies, strict=True):
        existing = stored.get(draft.id)
        if existing is None:
            await create_distribution(db, row, body, now)
        else:
            change = DistributionUpdate.model_validate(body.model_dump())
            await update_distribution(db, row, existing, change, now)
    for distribution in removed:
        await repo.delete(distribution)
    await flush_or_422(db)
    return redirect(request, f"/schedules/{row.id}/distributions?saved=1")
