"""``GET /api/v1/leads`` (LeadSail): its filters checked and resolved to rows and instants,
and the same filter's every lead streamed as CSV (``format=csv`` or ``Accept: text/csv``, and
the web app's "Export" on /submissions).

A CSV row is the listing's JSON lead (:func:`~leadflow.submissions.serializer.lead_body`),
flattened: the fixed fields first, then one column per other top-level key found in the
matching leads' data (``address``, ``attribution``, ``questionnaire``... an object is its JSON
text); ``columns`` picks some of them, in its order. Leads are read newest first,
:data:`BATCH` at a time by keyset on ``id``, each batch in a short session of its own, so
memory and transactions stay small whatever the count.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.responses import StreamingResponse

from leadflow.campaigns.repository import CampaignRepository
from leadflow.kit.csv_writer import csv_chunks, csv_response
from leadflow.models import SubmissionStatus
from leadflow.submissions.repository import LeadFilter, SubmittedLeadRepository
from leadflow.submissions.schemas import SubmitLeadRequest
from leadflow.submissions.serializer import lead_body
from leadflow.submissions.service import Details, invalid

BATCH = 1000
"""Leads per keyset step of a CSV export."""
MAX_DATA_COLUMNS = 1000
"""Distinct data keys made into columns at most (a seller chooses the keys it sends)."""
FIXED_COLUMNS: tuple[str, ...] = (
    "leadId",
    "campaignId",
    "status",
    "approval",
    "approvalReason",
    "isTest",
    "firstName",
    "lastName",
    "email",
    "phone",
    "createdAt",
    "updatedAt",
)
_NOT_COLUMNS = frozenset({"id", "questionnaireLabels"})
LEAD_FIELDS = frozenset(
    field.alias or name for name, field in SubmitLeadRequest.model_fields.items()
)
"""Every field a submitted lead's JSON may have, found among the leads or not."""

STATUSES = frozenset(
    value
    for name, value in vars(SubmissionStatus).items()
    if name.isupper() and isinstance(value, str)
) | {"no_answer", "voicemail", "contacted", "scheduled_callback", "no_contact"}


async def lead_filter(
    leads: SubmittedLeadRepository,
    campaigns: CampaignRepository,
    *,
    cursor: str | None,
    campaign_ids: list[str],
    statuses: list[str],
    search: str | None,
    start_date: str | None,
    end_date: str | None,
) -> LeadFilter:
    """The listing's filters resolved to rows and instants, or a 422 naming each bad one.
    A date alone covers its whole day (UTC): ``endDate=2026-01-05`` includes that day."""
    details: Details = []
    refs = [ref.strip() for value in campaign_ids for ref in value.split(",") if ref.strip()]
    found = await campaigns.by_refs(refs)
    for ref in refs:
        if ref not in found:
            details.append({"field": "campaignIds", "message": f"no campaign {ref!r}"})
    wanted = [s.strip() for value in statuses for s in value.split(",") if s.strip()]
    for status in wanted:
        if status not in STATUSES:
            details.append({"field": "status", "message": f"{status!r} is not a lead status"})
    start = _instant(start_date, "startDate", details, end=False)
    end = _instant(end_date, "endDate", details, end=True)
    before_id = None
    if cursor:
        row = await leads.by_uuid(cursor)
        if row is None:
            details.append({"field": "cursor", "message": "is not a leadId of yours"})
        else:
            before_id = row.id
    if details:
        raise invalid(details)
    return LeadFilter(
        campaign_ids=tuple(c.id for c in found.values()),
        statuses=tuple(wanted),
        search=search.strip() if search and search.strip() else None,
        start=start,
        end=end,
        before_id=before_id,
    )


def _instant(value: str | None, field: str, details: Details, *, end: bool) -> datetime | None:
    if not value:
        return None
    text = value.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            moment = datetime.combine(day, time(), tzinfo=UTC)
            return moment + timedelta(days=1) if end else moment
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        details.append({"field": field, "message": "must be YYYY-MM-DD or an ISO 8601 time"})
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


async def csv_export(
    sessionmaker: async_sessionmaker[AsyncSession],
    company_id: int,
    where: LeadFilter,
    columns: Sequence[str] = (),
) -> StreamingResponse:
    """Every lead ``where`` matches (a cursor in it is where the export starts), as a CSV
    download named ``submitted-leads.csv``: every column, or ``columns`` in their order (a
    422 naming each that is no column, before the first byte)."""
    async with sessionmaker() as session:
        keys = await SubmittedLeadRepository(session, company_id).data_keys(where, MAX_DATA_COLUMNS)
    header = chosen_columns(csv_header(keys), columns)
    rows = _rows(sessionmaker, company_id, where, header)
    return csv_response(csv_chunks(header, rows), "submitted-leads.csv")


def csv_header(data_keys: Sequence[str]) -> list[str]:
    """The fixed columns, then each other data key (``questionnaire`` among them)."""
    fixed = set(FIXED_COLUMNS)
    return [*FIXED_COLUMNS, *(k for k in data_keys if k not in fixed and k not in _NOT_COLUMNS)]


def chosen_columns(header: Sequence[str], columns: Sequence[str]) -> list[str]:
    """``columns`` (comma-separated or repeated, once each) when every one is a column of
    the export or a field a submitted lead may have (``dateOfBirth`` though none has one);
    else a 422 naming each that is not."""
    wanted = list(dict.fromkeys(c.strip() for value in columns for c in value.split(",")))
    wanted = [name for name in wanted if name]
    if not wanted:
        return list(header)
    known = (set(header) | LEAD_FIELDS) - _NOT_COLUMNS
    allowed = ", ".join(sorted(known))
    details: Details = [
        {"field": "columns", "message": f"{name!r} is not a column; columns: {allowed}"}
        for name in wanted
        if name not in known
    ]
    if details:
        raise invalid(details)
    return wanted


async def _rows(
    sessionmaker: async_sessionmaker[AsyncSession],
    company_id: int,
    where: LeadFilter,
    header: Sequence[str],
) -> AsyncIterator[list[Any]]:
    step = where
    while True:
        async with sessionmaker() as session:
            leads = SubmittedLeadRepository(session, company_id)
            batch = await leads.page(step, BATCH)
            uuids = await leads.campaign_uuids({lead.campaign_id for lead in batch})
            bodies = [lead_body(lead, uuids) for lead in batch]
        for body in bodies:
            yield [body.get(column) for column in header]
        if len(batch) < BATCH:
            return
        step = replace(where, before_id=batch[-1].id)
