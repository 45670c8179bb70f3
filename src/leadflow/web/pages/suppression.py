"""The suppression list: every blocked, opted-out or DNC number, with block and unblock.

Blocking here is the API's ``caller_block`` (company-wide, the number's live leads end);
unblocking is ``caller_unblock`` (lifts the block only: an opt-out is the consumer's and stays),
through the same repositories.
"""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from leadflow.companies.repository import CompanyRepository
from leadflow.contacts.endpoints import SUPPRESSION_LISTING
from leadflow.contacts.repository import ContactRepository
from leadflow.db.session import SessionDep
from leadflow.kit import listing
from leadflow.kit.dependencies import ClockDep
from leadflow.kit.listing import ListQuery
from leadflow.kit.phone import InvalidPhoneNumberError, to_e164
from leadflow.leads.records.repository import LeadRecordRepository
from leadflow.models import ContactEvent, LeadStatus
from leadflow.web.auth import CsrfDep, PageNotFoundError, UserDep, WebUser
from leadflow.web.rendering import page, redirect

router = APIRouter(include_in_schema=False)
PER_PAGE = 50


async def _region(db: SessionDep, user: WebUser) -> str:
    company = await CompanyRepository(db).get(user.company_id)
    return company.default_region if company else "US"


async def _list_page(
    request: Request,
    user: WebUser,
    db: SessionDep,
    q: str,
    number: int,
    errors: dict[str, list[str]] | None = None,
    blocked_value: str = "",
    flash: str | None = None,
) -> Response:
    query = ListQuery(
        page=number, per_page=PER_PAGE, order="id", order_dir="desc", fulltext=q.strip() or None
    )
    base = ContactRepository(db, user.company_id).suppressed()
    found = await listing.fetch(
        db, SUPPRESSION_LISTING, query, base, region=await _region(db, user)
    )
    total = int(found.metadata.get("total_count", 0))
    return page(
        request,
        "suppression.html",
        status_code=422 if errors else 200,
        user=user,
        contacts=found.items,
        total=total,
        q=q,
        page_number=number,
        last_page=max(1, -(-total // PER_PAGE)),
        errors=errors or {},
        number_value=blocked_value,
        flash=flash,
    )


@router.get("/suppression")
async def suppression(
    request: Request,
    user: UserDep,
    db: SessionDep,
    q: str = "",
    page_number: str = Query("1", alias="page"),
    done: str = "",
) -> Response:
    number = int(page_number) if page_number.isdigit() and 0 < int(page_number) < 10**6 else 1
    flash = {"blocked": "The number is blocked.", "unblocked": "The number is unblocked."}
    return await _list_page(request, user, db, q[:200], number, flash=flash.get(done))


@router.post("/suppression/block")
async def block(
    request: Request, user: UserDep, form: CsrfDep, db: SessionDep, clock: ClockDep
) -> Response:
    raw = str(form.get("number") or "")
    try:
        number = to_e164(raw, await _region(db, user))
    except InvalidPhoneNumberError:
        errors = {"number": ["is not a valid phone number"]}
        return await _list_page(request, user, db, "", 1, errors, raw)
    now = clock.now()
    leads = LeadRecordRepository(db, user.company_id)
    await leads.set_contact_state(number, now, blocked=True, blocked_at=now)
    await leads.end_live_leads_of_number(number, LeadStatus.BLOCKED, "blocked", now, "caller_block")
    return redirect(request, "/suppression?done=blocked")


@router.post("/suppression/{contact_id}/unblock")
async def unblock(
    request: Request,
    contact_id: str,
    user: UserDep,
    form: CsrfDep,
    db: SessionDep,
    clock: ClockDep,
) -> Response:
    contact = await ContactRepository(db, user.company_id).get(contact_id)
    if contact is None:
        raise PageNotFoundError
    now = clock.now()
    await LeadRecordRepository(db, user.company_id).set_contact_state(
        contact.number, now, blocked=False, blocked_at=None
    )
    db.add(
        ContactEvent(
            company_id=user.company_id,
            number=contact.number,
            kind="unblocked",
            source="web",
            created_at=now,
        )
    )
    return redirect(request, "/suppression?done=unblocked")
