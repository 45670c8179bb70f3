"""Taking leads in through the LeadSail API: validate, normalise, store the lead and the
submission the worker will run. Never commits (the endpoint commits before it answers) and
never runs the pipeline (the worker does; duplicate detection is the pipeline's too)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ValidationError

from leadflow.campaigns.repository import CampaignRepository, FieldLabelRepository
from leadflow.kit.errors import LeadSailError
from leadflow.models import Campaign, CampaignStatus, Submission, SubmissionStatus, SubmittedLead
from leadflow.submissions.repository import LeadFilter, SubmittedLeadRepository
from leadflow.submissions.schemas import (
    LongText,
    StrictModel,
    SubmitLeadRequest,
    Text,
    validation_details,
)
from leadflow.submissions.serializer import QUESTIONNAIRE_LABELS

REPOSTABLE = (SubmissionStatus.FAILED, SubmissionStatus.REJECTED, SubmissionStatus.ERROR)
ModelT = TypeVar("ModelT", bound=BaseModel)
Details = list[dict[str, str]]


class RepostRequest(StrictModel):
    """``modifiedPayload`` is merged onto the lead's data (objects key by key) and checked
    against the submission schema, so a repost cannot carry what a submission could not."""

    modified_payload: dict[str, Any] | None = None


class DeliverRequest(StrictModel):
    campaign_id: Text


class ApproveRequest(StrictModel):
    status: Literal["approved", "rejected", "pending"]
    reason: LongText | None = None


@dataclass(frozen=True)
class Origin:
    """Where the request came from: stored as the lead's attribution when it names none."""

    ip_address: str | None
    user_agent: str | None


@dataclass(frozen=True)
class Repositories:
    leads: SubmittedLeadRepository
    campaigns: CampaignRepository
    labels: FieldLabelRepository


@dataclass(frozen=True)
class Stored:
    lead: SubmittedLead
    submission: Submission | None
    created: bool


def invalid(details: Details) -> LeadSailError:
    return LeadSailError(422, "VALIDATION_ERROR", "Validation failed", details)


def not_found(what: str) -> LeadSailError:
    return LeadSailError(404, "NOT_FOUND", f"{what} not found")


def parse(model: type[ModelT], body: Any, context: dict[str, Any] | None = None) -> ModelT:
    """``body`` checked against ``model``, or a 422 naming every problem."""
    try:
        return model.model_validate(body, context=context)
    except ValidationError as exc:
        raise invalid(validation_details(exc)) from None


async def _usable_campaign(
    campaigns: CampaignRepository, ref: Any, details: Details, field: str = "campaignId"
) -> Campaign | None:
    if not isinstance(ref, str) or not ref.strip():
        return None
    campaign = await campaigns.by_ref(ref.strip())
    if campaign is None:
        details.append({"field": field, "message": f"no campaign {ref!r} in your company"})
    elif campaign.status == CampaignStatus.ARCHIVED:
        details.append({"field": field, "message": "the campaign is archived"})
    return campaign


async def store_lead(
    repos: Repositories, body: Any, origin: Origin, now: datetime, *, submit: bool
) -> Stored:
    """A new lead (or, with ``leadId``, an existing one updated by the fields given) and, when
    ``submit``, its next submission (status ``new``, due now) for the worker."""
    details: Details = []
    request: SubmitLeadRequest | None = None
    try:
        request = SubmitLeadRequest.model_validate(body, context={"today": now.date()})
    except ValidationError as exc:
        details.extend(validation_details(exc))
    raw = body if isinstance(body, Mapping) else {}
    campaign = await _usable_campaign(repos.campaigns, raw.get("campaignId"), details)
    lead: SubmittedLead | None = None
    lead_ref = raw.get("leadId")
    if isinstance(lead_ref, str) and lead_ref.strip():
        lead = await repos.leads.by_uuid(lead_ref.strip(), for_update=submit)
        if lead is None:
            details.append({"field": "leadId", "message": f"no lead {lead_ref!r} in your company"})
    if details or request is None or campaign is None:
        raise invalid(details)
    given = request.model_dump(
        mode="json", by_alias=True, exclude_none=True, exclude_unset=lead is not None
    )
    given.pop("leadId", None)
    given = await _with_labels(repos.labels, given)
    created = lead is None
    if lead is None:
        lead = SubmittedLead(company_id=repos.leads.company_id, created_at=now, data={})
        repos.leads.add(lead)
    data = merged(lead.data or {}, given)
    _fill_origin(data, origin)
    _apply(lead, data, campaign, now)
    if submit:
        lead.status = SubmissionStatus.NEW
    await repos.leads.session.flush()
    submission = None
    if submit:
        # A new lead's first submission is number 1: no need to ask the database.
        number = 1 if created else None
        submission = await _new_submission(
            repos.leads, lead, campaign.id, "original", data, now, number
        )
    return Stored(lead=lead, submission=submission, created=created)


async def repost(repos: Repositories, lead_id: str, body: Any, now: datetime) -> Stored:
    """A new ``repost`` submission of a failed, rejected or error lead (409 otherwise)."""
    request = parse(RepostRequest, body)
    lead = await _lead(repos.leads, lead_id)
    latest = await repos.leads.latest_submission(lead.id)
    status = latest.status if latest is not None else lead.status
    if status not in REPOSTABLE:
        raise LeadSailError(
            409,
            "INVALID_STATE",
            f"only failed, rejected or error leads can be reposted; this one is {status}",
        )
    data = dict(lead.data or {})
    if request.modified_payload:
        data = await _modified(repos, lead, request.modified_payload, now)
    campaign_id = latest.campaign_id if latest is not None else lead.campaign_id
    lead.status = SubmissionStatus.NEW
    lead.updated_at = now
    submission = await _new_submission(repos.leads, lead, campaign_id, "repost", data, now)
    return Stored(lead=lead, submission=submission, created=False)


async def deliver(repos: Repositories, lead_id: str, body: Any, now: datetime) -> Stored:
    """A ``manual`` submission to the given campaign: the pipeline skips qualification."""
    request = parse(DeliverRequest, body)
    lead = await _lead(repos.leads, lead_id)
    details: Details = []
    campaign = await _usable_campaign(repos.campaigns, request.campaign_id, details)
    if details or campaign is None:
        raise invalid(details)
    lead.status = SubmissionStatus.NEW
    lead.updated_at = now
    data = dict(lead.data or {})
    submission = await _new_submission(repos.leads, lead, campaign.id, "manual", data, now)
    return Stored(lead=lead, submission=submission, created=False)


async def approve(
    leads: SubmittedLeadRepository, lead_id: str, body: Any, now: datetime
) -> SubmittedLead:
    request = parse(ApproveRequest, body)
    lead = await _lead(leads, lead_id)
    lead.approval = request.status
    lead.approval_reason = request.reason
    lead.updated_at = now
    await leads.session.flush()
    return lead


async def _lead(leads: SubmittedLeadRepository, lead_id: str) -> SubmittedLead:
    lead = await leads.by_uuid(lead_id, for_update=True)
    if lead is None:
        raise not_found(f"lead {lead_id!r}")
    return lead


async def _new_submission(
    leads: SubmittedLeadRepository,
    lead: SubmittedLead,
    campaign_id: int | None,
    kind: str,
    data: dict[str, Any],
    now: datetime,
    number: int | None = None,
) -> Submission:
    submission = Submission(
        company_id=lead.company_id,
        lead_id=lead.id,
        campaign_id=campaign_id,
        number=number or await leads.next_number(lead.id),
        type=kind,
        status=SubmissionStatus.NEW,
        data=data,
        steps=[],
        qualification={},
        routing={},
        delivery={},
        attempts=0,
        next_attempt_at=now,
        created_at=now,
        updated_at=now,
    )
    leads.add_submission(submission)
    await leads.session.flush()
    return submission


async def _modified(
    repos: Repositories, lead: SubmittedLead, changes: dict[str, Any], now: datetime
) -> dict[str, Any]:
    """The lead's data with a repost's changes, checked as a submission would be."""
    base = {k: v for k, v in (lead.data or {}).items() if k != QUESTIONNAIRE_LABELS}
    candidate = merged(base, changes) | {"leadId": lead.uuid}
    try:
        request = SubmitLeadRequest.model_validate(candidate, context={"today": now.date()})
    except ValidationError as exc:
        raise invalid(
            [
                {"field": f"modifiedPayload.{d['field']}", "message": d["message"]}
                for d in validation_details(exc)
            ]
        ) from None
    data = request.model_dump(mode="json", by_alias=True, exclude_none=True)
    data.pop("leadId", None)
    data = await _with_labels(repos.labels, data)
    old_labels = (lead.data or {}).get(QUESTIONNAIRE_LABELS) or {}
    data[QUESTIONNAIRE_LABELS] = {**data.get(QUESTIONNAIRE_LABELS, {}), **old_labels}
    return data


async def _with_labels(labels: FieldLabelRepository, data: dict[str, Any]) -> dict[str, Any]:
    """The questionnaire in object form (what rules read as ``questionnaire.<key>``) and, beside
    it, each key's label: the array form's ``question``, else the field library's label, else
    the key itself."""
    answers = data.get("questionnaire")
    if answers is None:
        return data
    found: dict[str, str] = {}
    if isinstance(answers, list):
        found = {item["key"]: item["question"] for item in answers}
        answers = {item["key"]: item.get("answer") for item in answers}
    library = await labels.labels() if len(found) < len(answers) else {}
    result = dict(data)
    result["questionnaire"] = answers
    result[QUESTIONNAIRE_LABELS] = {key: found.get(key) or library.get(key, key) for key in answers}
    return result


def merged(base: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``changes``: objects merged key by key, anything else replaced."""
    result = dict(base)
    for key, value in changes.items():
        current = result.get(key)
        if isinstance(value, Mapping) and isinstance(current, Mapping):
            result[key] = merged(current, value)
        else:
            result[key] = value
    return result


def _fill_origin(data: dict[str, Any], origin: Origin) -> None:
    attribution = dict(data.get("attribution") or {"params": {}})
    if not attribution.get("ipAddress") and origin.ip_address:
        attribution["ipAddress"] = origin.ip_address
    if not attribution.get("userAgent") and origin.user_agent:
        attribution["userAgent"] = origin.user_agent
    data["attribution"] = attribution


def _apply(lead: SubmittedLead, data: dict[str, Any], campaign: Campaign, now: datetime) -> None:
    lead.data = data
    lead.campaign_id = campaign.id
    lead.first_name = data.get("firstName")
    lead.last_name = data.get("lastName")
    lead.email = data.get("email")
    lead.phone = data.get("phone")
    lead.is_test = bool(data.get("isTest", False))
    lead.updated_at = now


STATUSES = frozenset(
    value
    for name, value in vars(SubmissionStatus).items()
    if name.isupper() and isinstance(value, str)
) | {"no_answer", "voicemail", "contacted", "scheduled_callback", "no_contact"}


async def lead_filter(
    repos: Repositories,
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
    found = await repos.campaigns.by_refs(refs)
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
        row = await repos.leads.by_uuid(cursor)
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
