"""Campaigns (the buyer side): the list, a new campaign, the edit page with its payload
preview, deleting (or archiving), and the field library.

Every save goes through the campaigns API's own service (``create_campaign``,
``update_campaign``, ``replace_field_library``), so the page refuses exactly what the API
refuses, with the API's messages next to the fields (see :mod:`campaign_forms`). Sending a
test lead lives in :mod:`campaign_tests`.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any
from zoneinfo import available_timezones

from fastapi import APIRouter, Request
from pydantic import TypeAdapter, ValidationError
from starlette.responses import Response

from leadflow.campaigns.repository import CampaignRepository, FieldLabelRepository
from leadflow.campaigns.service import (
    campaign_body,
    create_campaign,
    delete_campaign,
    replace_field_library,
    update_campaign,
)
from leadflow.db.session import SessionDep
from leadflow.kit.dependencies import ClockDep, SettingsDep
from leadflow.kit.errors import LeadSailError
from leadflow.models import Campaign
from leadflow.submissions.payload import (
    BodyFormat,
    PayloadError,
    PayloadNode,
    build_payload,
    encode_payload,
)
from leadflow.submissions.schemas import SubmitLeadRequest, validation_details
from leadflow.web.auth import CsrfDep, PageNotFoundError, UserDep, WebUser
from leadflow.web.form_errors import FieldErrors
from leadflow.web.pages import campaign_forms as forms
from leadflow.web.rendering import page, redirect

router = APIRouter(include_in_schema=False)
TIME_ZONES = sorted(available_timezones())
_TREE = TypeAdapter(list[PayloadNode])
SAMPLE_LEAD: dict[str, Any] = {
    "firstName": "Jane",
    "lastName": "Smith",
    "email": "jane@example.com",
    "phone": "+17193132645",
    "address": {"street": "123 Main St", "city": "Los Angeles", "state": "CA", "zip": "90210"},
    "questionnaire": {"injury_type": "car_accident"},
}


async def campaign_of(db: SessionDep, user: WebUser, ref: str) -> Campaign:
    """The company's campaign by uuid or code, or the app's 404 page."""
    row = await CampaignRepository(db, user.company_id).by_ref(ref)
    if row is None:
        raise PageNotFoundError
    return row


@router.get("/campaigns")
async def campaigns(request: Request, user: UserDep, db: SessionDep) -> Response:
    rows = await CampaignRepository(db, user.company_id).all()
    return page(request, "campaigns/list.html", user=user, campaigns=rows)


async def _form_page(
    request: Request,
    user: WebUser,
    db: SessionDep,
    values: dict[str, Any],
    errors: FieldErrors,
    row: Campaign | None = None,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    others = [c for c in await CampaignRepository(db, user.company_id).all() if c is not row]
    return page(
        request,
        "campaigns/form.html",
        status_code=status_code,
        user=user,
        campaign=row,
        values=values,
        errors=errors,
        others=others,
        time_zones=TIME_ZONES,
        weekdays=forms.WEEKDAYS,
        statuses=forms.STATUSES,
        methods=forms.METHODS,
        body_formats=forms.BODY_FORMATS,
        overflow_actions=forms.OVERFLOW_ACTIONS,
        json_parts=forms.JSON_PARTS,
        blank_header_rows=forms.BLANK_HEADER_ROWS,
        **forms.ROW_CHOICES,
        sample_lead=extra.pop("sample_lead", json.dumps(SAMPLE_LEAD, indent=2)),
        **extra,
    )


@router.get("/campaigns/new")
async def new_campaign(request: Request, user: UserDep, db: SessionDep) -> Response:
    return await _form_page(request, user, db, forms.form_values({}), {})


@router.post("/campaigns/new")
async def create(
    request: Request,
    user: UserDep,
    form: CsrfDep,
    db: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
) -> Response:
    values = forms.posted_values(form)
    if form.get("op") == "rows":
        return await _form_page(request, user, db, values, {})
    body, errors = forms.campaign_body(values)
    if not errors:
        try:
            row = await create_campaign(
                CampaignRepository(db, user.company_id), body, settings, clock.now()
            )
        except LeadSailError as exc:
            errors = forms.errors_of(exc.details, values)
        else:
            return redirect(request, f"/campaigns/{row.uuid}/edit?saved=1")
    return await _form_page(request, user, db, values, errors, status_code=422)


@router.get("/campaigns/{ref}/edit")
async def edit(
    request: Request, ref: str, user: UserDep, db: SessionDep, saved: bool = False
) -> Response:
    row = await campaign_of(db, user, ref)
    values = forms.form_values(campaign_body(row))
    flash = "Campaign saved." if saved else None
    return await _form_page(request, user, db, values, {}, row, flash=flash)


@router.post("/campaigns/{ref}/edit")
async def save(
    request: Request,
    ref: str,
    user: UserDep,
    form: CsrfDep,
    db: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
) -> Response:
    """Save the campaign, or (``op=preview``) show the payload the tree as typed builds from
    the sample lead, or (``op=rows``) show the form again with fresh blank rows, saving
    nothing."""
    row = await campaign_of(db, user, ref)
    values = forms.posted_values(form)
    sample = str(form.get("sample_lead") or "")
    if form.get("op") == "preview":
        preview, errors = payload_preview(values, sample, clock.now().date())
        return await _form_page(
            request,
            user,
            db,
            values,
            errors,
            row,
            422 if errors else 200,
            preview=preview,
            sample_lead=sample,
        )
    if form.get("op") == "rows":
        return await _form_page(request, user, db, values, {}, row, sample_lead=sample)
    body, errors = forms.campaign_body(values, campaign_body(row))
    if not errors:
        try:
            repo = CampaignRepository(db, user.company_id)
            await update_campaign(repo, row, body, settings, clock.now())
        except LeadSailError as exc:
            errors = forms.errors_of(exc.details, values)
        else:
            return redirect(request, f"/campaigns/{row.uuid}/edit?saved=1")
    return await _form_page(request, user, db, values, errors, row, 422, sample_lead=sample)


def payload_preview(
    values: dict[str, Any], sample_text: str, today: date
) -> tuple[str | None, FieldErrors]:
    """The body the buyer would receive for the sample lead, encoded in the chosen format,
    built by the pipeline's own payload builder; or what stops it."""
    try:
        sample = json.loads(sample_text or "{}")
    except json.JSONDecodeError as exc:
        return None, {"sample_lead": [f"is not JSON: {exc.msg}"]}
    body, errors = forms.campaign_body(values)
    if errors:
        return None, errors
    if isinstance(sample, dict):
        sample = {"campaignId": "preview", **sample}
    try:
        checked = SubmitLeadRequest.model_validate(sample, context={"today": today})
        lead = checked.model_dump(mode="json", by_alias=True, exclude_none=True)
    except ValidationError as exc:
        details = [f"{d['field']}: {d['message']}" for d in validation_details(exc)]
        return None, {"sample_lead": details}
    endpoint = body.get("endpoint") or {}
    try:
        tree = _TREE.validate_python(endpoint.get("payload", []))
    except ValidationError as exc:
        prefixed = [
            {**d, "field": f"endpoint.payload.{d['field']}"} for d in validation_details(exc)
        ]
        return None, forms.errors_of(prefixed)
    try:
        built = build_payload(tree, lead)
    except PayloadError as exc:
        return None, {"endpoint.payload": exc.problems}
    fmt: BodyFormat = endpoint.get("bodyFormat") or "json"
    if fmt not in forms.BODY_FORMATS:
        return None, {"endpoint.bodyFormat": [f"must be one of {', '.join(forms.BODY_FORMATS)}"]}
    if fmt == "json":
        return json.dumps(built, indent=2), {}
    encoded = encode_payload(built, fmt, endpoint.get("xmlRoot") or "lead", boundary="preview")
    return encoded.content.decode(errors="replace"), {}


@router.post("/campaigns/{ref}/delete")
async def delete(
    request: Request, ref: str, user: UserDep, form: CsrfDep, db: SessionDep, clock: ClockDep
) -> Response:
    """Asks first (the confirmation page), then deletes, or archives a campaign that leads or
    other campaigns refer to, as ``DELETE /api/v1/campaigns/{id}`` does."""
    row = await campaign_of(db, user, ref)
    if form.get("confirmed") != "1":
        return page(
            request,
            "campaigns/confirm_delete.html",
            user=user,
            campaign=row,
        )
    deleted = await delete_campaign(CampaignRepository(db, user.company_id), row, clock.now())
    return redirect(request, f"/campaigns?{'deleted' if deleted else 'archived'}=1")


@router.get("/field_library")
async def field_library(request: Request, user: UserDep, db: SessionDep) -> Response:
    labels = await FieldLabelRepository(db, user.company_id).labels()
    rows = [{"key": key, "label": label} for key, label in sorted(labels.items())]
    return page(request, "campaigns/field_library.html", user=user, rows=rows, errors={})


@router.post("/field_library")
async def save_field_library(
    request: Request, user: UserDep, form: CsrfDep, db: SessionDep, clock: ClockDep
) -> Response:
    """The rows as posted replace the library (``PUT /api/v1/field_library``); a row with
    both cells blank is dropped, so blanking a row deletes it."""
    count = str(form.get("row_count") or "0")
    rows = [
        {
            "key": str(form.get(f"row.{i}.key") or "").strip(),
            "label": str(form.get(f"row.{i}.label") or ""),
        }
        for i in range(min(int(count) if count.isdigit() else 0, 6000))
    ]
    rows = [r for r in rows if r["key"] or r["label"].strip()]
    body = {r["key"]: r["label"] for r in rows}
    try:
        await replace_field_library(FieldLabelRepository(db, user.company_id), body, clock.now())
    except LeadSailError as exc:
        errors: FieldErrors = {}
        for detail in exc.details:
            errors.setdefault(str(detail["field"]), []).append(str(detail["message"]))
        return page(
            request,
            "campaigns/field_library.html",
            status_code=422,
            user=user,
            rows=rows,
            errors=errors,
        )
    return redirect(request, "/field_library?saved=1")
