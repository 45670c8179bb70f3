"""`/api/v1/dnc`: the lists in force, checking a number, and the company's internal list.

The shared lists (federal, state, litigator) are the same for every company and change only by
import (``leadflow dnc import``). The internal list is the company's own: its contacts marked
do-not-call or opted out; adding and removing here set the contact's ``dnc`` flag and keep the
change on the number's history (``GET /api/v1/contacts/:caller_id/history``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from leadflow.app_state import app_state
from leadflow.contacts.repository import ContactRepository
from leadflow.db.session import SessionDep
from leadflow.dnc import authority, imports, upload
from leadflow.dnc.checks import federal_warning
from leadflow.dnc.registry import INTERNAL, DncRegistry
from leadflow.dnc.schemas import CheckOut, HitOut, ImportOut, ListOut, ListsOut
from leadflow.kit import envelope
from leadflow.kit.auth import READ, WRITE, Principal, require
from leadflow.kit.dependencies import ClockDep
from leadflow.kit.errors import TrackDriveError
from leadflow.kit.phone import InvalidPhoneNumberError, to_e164
from leadflow.kit.query_params import declared_params_only
from leadflow.leads.records.repository import LeadRecordRepository
from leadflow.models import ContactEvent

router = APIRouter(prefix="/api/v1/dnc", tags=["dnc"], dependencies=[Depends(declared_params_only)])
Reader = Annotated[Principal, Depends(require("contacts", READ))]
Writer = Annotated[Principal, Depends(require("contacts", WRITE))]
ListWriter = Annotated[Principal, Depends(require("dnc", WRITE))]


async def _registry(request: Request) -> DncRegistry:
    registry = app_state(request).dnc_registry()
    await registry.refresh()
    return registry


RegistryDep = Annotated[DncRegistry, Depends(_registry)]


def _e164(caller_id: str, region: str, field: str) -> str:
    try:
        return to_e164(caller_id, region)
    except InvalidPhoneNumberError:
        raise TrackDriveError.field(field, "is not a valid phone number") from None


@router.get(
    "/lists",
    summary="The shared lists in force, with versions and ages",
    **envelope.documented("dnc", ListsOut),
)
async def lists(
    principal: Reader, registry: RegistryDep, clock: ClockDep, request: Request
) -> Response:
    now = clock.now()
    versions = registry.versions()
    out = ListsOut(
        lists=[
            ListOut(
                name=v.name,
                version=v.version,
                numbers=v.numbers,
                updated_at=v.updated_at,
                age_days=(now - v.updated_at).days,
                available=v.available,
            )
            for v in versions
        ],
        warning=federal_warning(
            versions, now, app_state(request).settings.dnc_federal_max_age_days
        ),
    )
    return envelope.one("dnc", out)


@router.post(
    "/lists/{list_name}",
    summary="Upload a list file as the list's new version (shared by every company, so only "
    "for the companies in LEADFLOW_DNC_LIST_COMPANIES)",
    **envelope.documented("dnc_import", ImportOut),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/octet-stream": {"schema": {"type": "string"}}},
        }
    },
)
async def upload_list(
    list_name: str,
    principal: ListWriter,
    clock: ClockDep,
    request: Request,
    change: Annotated[
        upload.Change,
        Query(
            description="none: the file is the whole list; additions or deletions: a change "
            "list applied to the current version"
        ),
    ] = "none",
) -> Response:
    """The body is the file as downloaded (numbers or ``areacode,number`` per line; plain,
    ``.gz`` or ``.zip``). The shared lists are the installation's, so this needs the ``dnc``
    write permission, which only a key granted it (or ``*``) holds, and the company must be
    one the operator lets change them (``dnc.authority``): checked before the body is read."""
    async with app_state(request).sessionmaker() as session:
        refusal = await authority.refusal_for(
            session, principal.company_id, app_state(request).settings.dnc_list_companies
        )
    if refusal is not None:
        raise TrackDriveError(403, {"list_name": [refusal]}, authority.REFUSED_CODE)
    try:
        record = await upload.import_upload(
            app_state(request).sessionmaker,
            app_state(request).settings.dnc_dir,
            clock,
            list_name,
            change,
            request.stream(),
            f"upload by company {principal.company_id}",
        )
    except imports.UnknownListError as exc:
        raise TrackDriveError.field("list_name", str(exc)) from None
    except upload.UnreadableUploadError as exc:
        raise TrackDriveError.field("file", str(exc)) from None
    except imports.ImportConflictError as exc:
        raise TrackDriveError(409, {"list_name": [str(exc)]}, "conflict") from None
    return envelope.one("dnc_import", ImportOut.model_validate(upload.summary(record)))


@router.get(
    "/check",
    summary="Which lists hold a number, and in which version",
    **envelope.documented("dnc_check", CheckOut),
)
async def check(
    principal: Reader,
    session: SessionDep,
    registry: RegistryDep,
    number: Annotated[str, Query(description="The number, E.164 or national")],
) -> Response:
    e164 = _e164(number, principal.default_region, "number")
    hits = [
        HitOut(name=h.name, version=h.version, unavailable=h.unavailable)
        for h in registry.hits(e164)
    ]
    contact = await ContactRepository(session, principal.company_id).by_number(e164)
    if contact is not None and (contact.dnc or contact.opt_out):
        hits.insert(0, HitOut(name=INTERNAL, version=None))
    return envelope.one("dnc_check", CheckOut(number=e164, listed=bool(hits), lists=hits))


async def _set_internal(
    caller_id: str, principal: Principal, session: SessionDep, clock: ClockDep, listed: bool
) -> Response:
    number = _e164(caller_id, principal.default_region, "caller_id")
    now = clock.now()
    await LeadRecordRepository(session, principal.company_id).set_contact_state(
        number, now, dnc=listed
    )
    kind = "dnc_added" if listed else "dnc_removed"
    session.add(
        ContactEvent(
            company_id=principal.company_id,
            number=number,
            kind=kind,
            source="api",
            reason=None,
            created_at=now,
        )
    )
    await session.flush()
    hits = [HitOut(name=INTERNAL, version=None)] if listed else []
    return envelope.one("dnc_check", CheckOut(number=number, listed=listed, lists=hits))


@router.post(
    "/internal/{caller_id}",
    summary="Add a number to the company's internal list",
    **envelope.documented("dnc_check", CheckOut),
)
async def add_internal(
    caller_id: str, principal: Writer, session: SessionDep, clock: ClockDep
) -> Response:
    return await _set_internal(caller_id, principal, session, clock, True)


@router.delete(
    "/internal/{caller_id}",
    summary="Remove a number from the internal list (an opt-out stays until opted in)",
    **envelope.documented("dnc_check", CheckOut),
)
async def remove_internal(
    caller_id: str, principal: Writer, session: SessionDep, clock: ClockDep
) -> Response:
    return await _set_internal(caller_id, principal, session, clock, False)
