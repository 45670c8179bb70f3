"""`/api/v1/contacts`: the company's suppression list, and blocking or unblocking a number.

Blocking a number is company-wide: the contact records it and every live lead of the number
ends, as blocking a lead does. Unblocking lifts only the block. An opt-out is the consumer's own
request: it stays until the consumer opts back in (an SMS ``START``) or an operator records an
explicit opt-in with a reason (``caller_opt_in``). Every such change is kept on the number's
history (``GET /api/v1/contacts/:caller_id/history``). Leads that ended stay ended.
"""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Body, Depends
from starlette.responses import Response

from leadflow.contacts.repository import ContactRepository
from leadflow.contacts.schemas import ContactEventOut, ContactOut, OptInBody
from leadflow.db.session import SessionDep
from leadflow.kit import envelope, listing
from leadflow.kit.auth import READ, WRITE, Principal, require
from leadflow.kit.dependencies import ClockDep
from leadflow.kit.errors import TrackDriveError
from leadflow.kit.fulltext import TextColumns
from leadflow.kit.listing import ListQueryDep, ListSpec
from leadflow.kit.phone import InvalidPhoneNumberError, to_e164
from leadflow.leads.records.repository import LeadRecordRepository
from leadflow.models import Contact, ContactEvent, LeadStatus

router = APIRouter(prefix="/api/v1/contacts", tags=["contacts"])
Reader = Annotated[Principal, Depends(require("contacts", READ))]
# Blocking and unblocking end or free the number's leads: the key must also write leads.
Writer = Annotated[Principal, Depends(require("contacts", WRITE, also=("leads",)))]

SUPPRESSION_LISTING = ListSpec(
    model=Contact,
    serializers={"contact": ContactOut},
    sortable=("id", "number", "created_at", "updated_at"),
    fulltext=TextColumns(("number",)),
)


def _number(caller_id: str, region: str) -> str | None:
    try:
        return to_e164(caller_id, region)
    except InvalidPhoneNumberError:
        return None


async def _known(repo: ContactRepository, caller_id: str, region: str) -> Contact:
    number = _number(caller_id, region)
    contact = await repo.by_number(number) if number is not None else None
    if contact is None:
        raise TrackDriveError.not_found("contact")
    return contact


@router.get(
    "/suppression_list",
    summary="List blocked, opted-out and DNC numbers",
    **envelope.documented("contacts", listing.listed_item(ContactOut), plural=True),
)
async def suppression_list(principal: Reader, session: SessionDep, query: ListQueryDep) -> Response:
    base = ContactRepository(session, principal.company_id).suppressed()
    page = await listing.fetch(
        session, SUPPRESSION_LISTING, query, base, region=principal.default_region
    )
    return envelope.many("contacts", page.items, page.metadata)


@router.get("/{caller_id}", summary="Show a contact", **envelope.documented("contact", ContactOut))
async def show_contact(caller_id: str, principal: Reader, session: SessionDep) -> Response:
    repo = ContactRepository(session, principal.company_id)
    contact = await _known(repo, caller_id, principal.default_region)
    return envelope.one("contact", ContactOut.model_validate(contact))


@router.post(
    "/{caller_id}/caller_block",
    summary="Block a number company-wide (its live leads end)",
    **envelope.documented("contact", ContactOut),
)
async def caller_block(
    caller_id: str, principal: Writer, session: SessionDep, clock: ClockDep
) -> Response:
    number = _number(caller_id, principal.default_region)
    if number is None:
        raise TrackDriveError.field("caller_id", "is not a valid phone number")
    now = clock.now()
    leads = LeadRecordRepository(session, principal.company_id)
    await leads.set_contact_state(number, now, blocked=True, blocked_at=now)
    await leads.end_live_leads_of_number(number, LeadStatus.BLOCKED, "blocked", now, "caller_block")
    _record(session, principal.company_id, number, "blocked", now)
    await session.flush()
    contact = await ContactRepository(session, principal.company_id).by_number(number)
    return envelope.one("contact", ContactOut.model_validate(contact))


def _record(
    session: SessionDep,
    company_id: int,
    number: str,
    kind: str,
    now: datetime,
    reason: str | None = None,
) -> None:
    session.add(
        ContactEvent(
            company_id=company_id,
            number=number,
            kind=kind,
            source="api",
            reason=reason,
            created_at=now,
        )
    )


@router.post(
    "/{caller_id}/caller_unblock",
    summary="Unblock a number: lifts the block only (an opt-out stays)",
    **envelope.documented("contact", ContactOut),
)
async def caller_unblock(
    caller_id: str, principal: Writer, session: SessionDep, clock: ClockDep
) -> Response:
    repo = ContactRepository(session, principal.company_id)
    contact = await _known(repo, caller_id, principal.default_region)
    now = clock.now()
    await LeadRecordRepository(session, principal.company_id).set_contact_state(
        contact.number, now, blocked=False, blocked_at=None
    )
    _record(session, principal.company_id, contact.number, "unblocked", now)
    contact = await _known(repo, contact.number, principal.default_region)
    return envelope.one("contact", ContactOut.model_validate(contact))


@router.post(
    "/{caller_id}/caller_opt_in",
    summary="Record the consumer's opt-in (a reason is required); lifts the opt-out",
    **envelope.documented("contact", ContactOut),
)
async def caller_opt_in(
    caller_id: str,
    body: Annotated[OptInBody, Body()],
    principal: Writer,
    session: SessionDep,
    clock: ClockDep,
) -> Response:
    repo = ContactRepository(session, principal.company_id)
    contact = await _known(repo, caller_id, principal.default_region)
    reason = (body.reason or "").strip()
    if not reason:
        raise TrackDriveError.field("reason", "can't be blank: say why the number may be contacted")
    now = clock.now()
    await LeadRecordRepository(session, principal.company_id).set_contact_state(
        contact.number, now, opt_out=False, opt_out_at=None, sms_opt_out_at=None
    )
    _record(session, principal.company_id, contact.number, "opted_in", now, reason)
    contact = await _known(repo, contact.number, principal.default_region)
    return envelope.one("contact", ContactOut.model_validate(contact))


@router.get(
    "/{caller_id}/history",
    summary="A number's opt-outs, opt-ins, blocks and unblocks, oldest first",
    **envelope.documented("contact_events", ContactEventOut, plural=True),
)
async def contact_history(caller_id: str, principal: Reader, session: SessionDep) -> Response:
    repo = ContactRepository(session, principal.company_id)
    contact = await _known(repo, caller_id, principal.default_region)
    events = [ContactEventOut.model_validate(e) for e in await repo.history(contact.number)]
    return envelope.many("contact_events", events, {"number": contact.number})
