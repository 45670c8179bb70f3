"""``GET /api/v1/leads`` (LeadSail): its filters checked and resolved to rows and instants."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from leadflow.campaigns.repository import CampaignRepository
from leadflow.models import SubmissionStatus
from leadflow.submissions.repository import LeadFilter, SubmittedLeadRepository
from leadflow.submissions.service import Details, invalid

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
