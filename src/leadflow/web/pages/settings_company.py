"""Settings → Company: the company's time zone and calls-per-second budget, and the caller ID
its calls show.

The values go through :class:`~leadflow.companies.schemas.CompanySettingsUpdate` and
:func:`~leadflow.companies.service.update_settings`, the one place that decides them. The
caller ID is not a company column: calls show one of the company's voice numbers, else the
deployment's ``LEADFLOW_DEFAULT_CALLER_ID`` (see ``calls/dialing/service.py``), so the page shows
which one applies and links to Numbers, where voice numbers are set.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.responses import Response

from leadflow.companies.repository import CompanyRepository
from leadflow.companies.schemas import MAX_CALLS_PER_SECOND, CompanySettingsUpdate
from leadflow.companies.service import update_settings
from leadflow.db.session import SessionDep
from leadflow.kit.dependencies import ClockDep, SettingsDep
from leadflow.models import Company
from leadflow.numbers.repository import NumberRepository
from leadflow.web.auth import CsrfDep, PageNotFoundError, UserDep, WebUser
from leadflow.web.form_errors import FieldErrors, from_validation
from leadflow.web.rendering import page, redirect

router = APIRouter(include_in_schema=False)


async def _company(db: SessionDep, user: WebUser) -> Company:
    company = await CompanyRepository(db).get(user.company_id)
    if company is None:
        raise PageNotFoundError
    return company


async def _company_page(
    request: Request,
    user: WebUser,
    db: SessionDep,
    settings: SettingsDep,
    values: dict[str, Any],
    errors: FieldErrors,
    flash: str | None = None,
) -> Response:
    numbers = await NumberRepository(db, user.company_id).list()
    return page(
        request,
        "settings/company.html",
        status_code=422 if errors else 200,
        user=user,
        values=values,
        errors=errors,
        max_cps=MAX_CALLS_PER_SECOND,
        voice_numbers=[n.number for n in numbers if "voice" in (n.capabilities or [])],
        fallback_caller_id=settings.default_caller_id,
        flash=flash,
        section="company",
    )


@router.get("/settings/company")
async def company_settings(
    request: Request, user: UserDep, db: SessionDep, settings: SettingsDep, done: str = ""
) -> Response:
    company = await _company(db, user)
    values = {"time_zone": company.time_zone, "calls_per_second": company.calls_per_second}
    flash = "The company's settings are saved." if done == "saved" else None
    return await _company_page(request, user, db, settings, values, {}, flash)


@router.post("/settings/company")
async def save_company_settings(
    request: Request,
    user: UserDep,
    form: CsrfDep,
    db: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
) -> Response:
    raw = {name: str(form.get(name) or "") for name in ("time_zone", "calls_per_second")}
    try:
        body = CompanySettingsUpdate.model_validate(raw)
    except ValidationError as exc:
        return await _company_page(request, user, db, settings, raw, from_validation(exc))
    update_settings(await _company(db, user), body, clock.now())
    return redirect(request, "/settings/company?done=saved")
