"""Offers, traffic sources and numbers: list, create and edit.

Each page runs the API's own create/update schema and resource rules (a number is stored as
E.164, once), so a value the API refuses is refused here with the same message.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData
from starlette.responses import Response

from leadflow.companies.keys import new_lead_token
from leadflow.companies.repository import CompanyRepository as Companies
from leadflow.db.repository import CompanyRepository
from leadflow.db.session import SessionDep, flush_or_422
from leadflow.kit.auth import Principal
from leadflow.kit.crud import Rule, forget_lead_owners_after_commit
from leadflow.kit.dependencies import ClockDep
from leadflow.kit.errors import TrackDriveError
from leadflow.numbers.endpoints import number_is_new_e164
from leadflow.numbers.repository import NumberRepository
from leadflow.numbers.schemas import NumberCreate, NumberUpdate
from leadflow.offers.endpoints import destination_is_e164
from leadflow.offers.repository import OfferRepository
from leadflow.offers.schemas import OfferCreate, OfferUpdate
from leadflow.traffic_sources.repository import TrafficSourceRepository
from leadflow.traffic_sources.schemas import TrafficSourceCreate, TrafficSourceUpdate
from leadflow.web.auth import CsrfDep, PageNotFoundError, UserDep, WebUser
from leadflow.web.form_errors import FieldErrors, from_trackdrive, from_validation
from leadflow.web.rendering import page, redirect

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    kind: str = "text"  # text, tel, textarea, checkboxes
    choices: tuple[str, ...] = ()
    required: bool = False
    # Shown but not changed on the edit page (a number is its row: delete it to change it).
    editable: bool = True


@dataclass(frozen=True)
class ResourcePages:
    path: str
    title: str
    singular: str
    repository: type[CompanyRepository[Any]]
    create: type[BaseModel]
    update: type[BaseModel] | None
    fields: tuple[FormField, ...]
    columns: tuple[tuple[str, str], ...]
    defaults: Callable[[], dict[str, Any]] = dict
    rules: tuple[Rule, ...] = ()
    holds_lead_tokens: bool = False


RESOURCES = {
    r.path: r
    for r in (
        ResourcePages(
            path="offers",
            title="Offers",
            singular="offer",
            repository=OfferRepository,
            create=OfferCreate,
            update=OfferUpdate,
            fields=(
                FormField("name", "Name", required=True),
                FormField("description", "Description", "textarea"),
                FormField("destination_number", "Destination number (calls connect here)", "tel"),
            ),
            columns=(("name", "Name"), ("description", "Description")),
            defaults=lambda: {"leads_api_key": new_lead_token()},
            rules=(destination_is_e164,),
            holds_lead_tokens=True,
        ),
        ResourcePages(
            path="traffic_sources",
            title="Traffic sources",
            singular="traffic source",
            repository=TrafficSourceRepository,
            create=TrafficSourceCreate,
            update=TrafficSourceUpdate,
            fields=(
                FormField("name", "Name", required=True),
                FormField("user_traffic_source_id", "Your own id for it (optional)"),
            ),
            columns=(("name", "Name"), ("user_traffic_source_id", "Your id")),
        ),
        ResourcePages(
            path="numbers",
            title="Numbers",
            singular="number",
            repository=NumberRepository,
            create=NumberCreate,
            update=NumberUpdate,
            fields=(
                FormField("number", "Phone number", required=True, editable=False),
                FormField("capabilities", "Used for", "checkboxes", ("voice", "sms")),
            ),
            columns=(("number", "Number"), ("capabilities", "Used for")),
            rules=(number_is_new_e164,),
        ),
    )
}


def _posted(resource: ResourcePages, form: FormData, *, editing: bool = False) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for spec in resource.fields:
        if editing and not spec.editable:
            continue
        if spec.kind == "checkboxes":
            values[spec.name] = [v for v in form.getlist(spec.name) if isinstance(v, str)]
        else:
            values[spec.name] = str(form.get(spec.name) or "")
    return values


async def _principal(db: AsyncSession, user: WebUser) -> Principal:
    """The user as the resource rules expect a caller (numbers read the company's region)."""
    company = await Companies(db).get(user.company_id)
    region = company.default_region if company else "US"
    return Principal(user.company_id, 0, {"*": ["read", "write"]}, default_region=region)


async def _checked(
    db: AsyncSession, user: WebUser, schema: type[BaseModel], rules: tuple[Rule, ...], raw: Any
) -> tuple[dict[str, Any], FieldErrors]:
    """The values as the API would store them, or the errors it would answer."""
    try:
        values = schema.model_validate(raw).model_dump(exclude_unset=True)
        principal = await _principal(db, user)
        for rule in rules:
            values = await rule(db, principal, values)
    except ValidationError as exc:
        return {}, from_validation(exc)
    except TrackDriveError as exc:
        return {}, from_trackdrive(exc)
    return values, {}


def _form_page(
    request: Request,
    user: WebUser,
    resource: ResourcePages,
    values: dict[str, Any],
    errors: FieldErrors,
    row_id: int | None = None,
) -> Response:
    return page(
        request,
        "resources/form.html",
        status_code=422 if errors else 200,
        user=user,
        resource=resource,
        values=values,
        errors=errors,
        row_id=row_id,
    )


async def _row(db: AsyncSession, user: WebUser, resource: ResourcePages, ref: str) -> Any:
    if resource.update is None:
        raise PageNotFoundError
    row = await resource.repository(db, user.company_id).get(ref)
    if row is None:
        raise PageNotFoundError
    return row


def _register(resource: ResourcePages) -> None:
    """The list, new and edit routes of one resource, at fixed paths."""

    @router.get(f"/{resource.path}")
    async def list_rows(request: Request, user: UserDep, db: SessionDep) -> Response:
        rows = await resource.repository(db, user.company_id).list()
        return page(request, "resources/list.html", user=user, resource=resource, rows=rows)

    @router.get(f"/{resource.path}/new")
    async def new_row(request: Request, user: UserDep) -> Response:
        return _form_page(request, user, resource, {"capabilities": ["voice", "sms"]}, {})

    @router.post(f"/{resource.path}/new")
    async def create_row(
        request: Request, user: UserDep, form: CsrfDep, db: SessionDep, clock: ClockDep
    ) -> Response:
        raw = _posted(resource, form)
        values, errors = await _checked(db, user, resource.create, resource.rules, raw)
        if errors:
            return _form_page(request, user, resource, raw, errors)
        now = clock.now()
        row = resource.repository.model(
            company_id=user.company_id,
            created_at=now,
            updated_at=now,
            **{**resource.defaults(), **values},
        )
        resource.repository(db, user.company_id).add(row)
        await flush_or_422(db)
        return redirect(request, f"/{resource.path}")

    if resource.update is None:
        return

    @router.get(f"/{resource.path}/{{ref}}/edit")
    async def edit_row(request: Request, ref: str, user: UserDep, db: SessionDep) -> Response:
        row = await _row(db, user, resource, ref)
        values = {spec.name: getattr(row, spec.name) or "" for spec in resource.fields}
        return _form_page(request, user, resource, values, {}, row_id=row.id)

    @router.post(f"/{resource.path}/{{ref}}/edit")
    async def update_row(
        request: Request,
        ref: str,
        user: UserDep,
        form: CsrfDep,
        db: SessionDep,
        clock: ClockDep,
    ) -> Response:
        row = await _row(db, user, resource, ref)
        raw = _posted(resource, form, editing=True)
        assert resource.update is not None
        values, errors = await _checked(db, user, resource.update, resource.rules, raw)
        if errors:
            shown = {s.name: getattr(row, s.name) for s in resource.fields if not s.editable}
            return _form_page(request, user, resource, {**shown, **raw}, errors, row_id=row.id)
        for name, value in values.items():
            setattr(row, name, value)
        row.updated_at = clock.now()
        await flush_or_422(db)
        if resource.holds_lead_tokens:
            forget_lead_owners_after_commit(request, db)
        return redirect(request, f"/{resource.path}")


for _resource_pages in RESOURCES.values():
    _register(_resource_pages)
