"""Taking leads in through the LeadSail API: validate, normalise, store the lead and the
submission the worker will run.

The writes are units of work over :class:`~leadflow.db.statements.Sql` that the endpoint hands
to the group committer: they never commit themselves, and concurrent submissions share one
transaction and one commit. Nothing here runs the pipeline (the worker does; duplicate
detection is the pipeline's too)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ValidationError

from leadflow.db.statements import Row, Sql
from leadflow.kit.errors import LeadSailError
from leadflow.models import CampaignStatus, SubmissionStatus, SubmittedLead
from leadflow.submissions.pipeline.repository import insert_submission, insert_submitted_lead
from leadflow.submissions.repository import (
    SubmittedLeadRepository,
    campaign_row,
    field_labels,
    latest_submission_row,
    lead_row,
    update_lead,
)
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
class Accepted:
    """What a write unit did: the lead and, when one was made, its new submission."""

    lead_id: int
    lead_uuid: str
    created: bool
    submission_uuid: str | None = None
    submission_number: int | None = None


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


def _usable_campaign(
    sql: Sql, company_id: int, ref: Any, details: Details, field: str = "campaignId"
) -> Row | None:
    if not isinstance(ref, str) or not ref.strip():
        return None
    campaign = campaign_row(sql, company_id, ref.strip())
    if campaign is None:
        details.append({"field": field, "message": f"no campaign {ref!r} in your company"})
    elif campaign["status"] == CampaignStatus.ARCHIVED:
        details.append({"field": field, "message": "the campaign is archived"})
        return None
    return campaign


def checked_submission(body: Any, now: datetime) -> tuple[SubmitLeadRequest | None, Details]:
    """The request checked against the schema (no database needed): the model, or the
    problems, to which :func:`store_lead` adds those only the database can tell."""
    try:
        return SubmitLeadRequest.model_validate(body, context={"today": now.date()}), []
    except ValidationError as exc:
        return None, validation_details(exc)


def store_lead(
    sql: Sql,
    company_id: int,
    body: Mapping[str, Any],
    checked: tuple[SubmitLeadRequest | None, Details],
    origin: Origin,
    now: datetime,
    *,
    submit: bool,
) -> Accepted:
    """A new lead (or, with ``leadId``, an existing one updated by the fields given) and, when
    ``submit``, its next submission (status ``new``, due now) for the worker. One unit of work:
    run it through the group committer, which answers after the commit."""
    request, schema_problems = checked
    details = list(schema_problems)
    campaign = _usable_campaign(sql, company_id, body.get("campaignId"), details)
    lead: Row | None = None
    lead_ref = body.get("leadId")
    if isinstance(lead_ref, str) and lead_ref.strip():
        lead = lead_row(sql, company_id, lead_ref.strip())
        if lead is None:
            details.append({"field": "leadId", "message": f"no lead {lead_ref!r} in your company"})
    if details or request is None or campaign is None:
        raise invalid(details)
    given = request.model_dump(
        mode="json", by_alias=True, exclude_none=True, exclude_unset=lead is not None
    )
    given.pop("leadId", None)
    given = _with_labels(sql, company_id, given)
    data = merged(lead["data"] if lead else {}, given)
    _fill_origin(data, origin)
    values: dict[str, Any] = {
        "campaign_id": campaign["id"],
        "first_name": data.get("firstName"),
        "last_name": data.get("lastName"),
        "email": data.get("email"),
        "phone": data.get("phone"),
        "is_test": bool(data.get("isTest", False)),
        "data": data,
        "updated_at": now,
    }
    if submit or lead is None:
        values["status"] = SubmissionStatus.NEW
    if lead is None:
        values.pop("updated_at")
        inserted = insert_submitted_lead(sql, now, company_id=company_id, **values)
        lead_uuid, lead_id = inserted["uuid"], int(inserted["id"])
    else:
        lead_uuid, lead_id = lead["uuid"], int(lead["id"])
        update_lead(sql, lead_id, values)
    accepted = Accepted(lead_id=lead_id, lead_uuid=lead_uuid, created=lead is None)
    if not submit:
        return accepted
    # A new lead's first submission is number 1: no need to ask the database.
    number = 1 if lead is None else None
    return _submitted(sql, company_id, accepted, campaign["id"], "original", data, now, number)


def repost(
    sql: Sql, company_id: int, lead_id: str, request: RepostRequest, now: datetime
) -> Accepted:
    """A new ``repost`` submission of a failed, rejected or error lead (409 otherwise)."""
    lead = _lead(sql, company_id, lead_id)
    latest = latest_submission_row(sql, lead["id"])
    status = latest["status"] if latest is not None else lead["status"]
    if status not in REPOSTABLE:
        raise LeadSailError(
            409,
            "INVALID_STATE",
            f"only failed, rejected or error leads can be reposted; this one is {status}",
        )
    data = dict(lead["data"] or {})
    if request.modified_payload:
        data = _modified(sql, company_id, lead, request.modified_payload, now)
    campaign_id = latest["campaign_id"] if latest is not None else lead["campaign_id"]
    accepted = Accepted(lead_id=int(lead["id"]), lead_uuid=lead["uuid"], created=False)
    update_lead(sql, accepted.lead_id, {"status": SubmissionStatus.NEW, "updated_at": now})
    return _submitted(sql, company_id, accepted, campaign_id, "repost", data, now)


def deliver(
    sql: Sql, company_id: int, lead_id: str, request: DeliverRequest, now: datetime
) -> Accepted:
    """A ``manual`` submission to the given campaign: the pipeline skips qualification."""
    lead = _lead(sql, company_id, lead_id)
    details: Details = []
    campaign = _usable_campaign(sql, company_id, request.campaign_id, details)
    if details or campaign is None:
        raise invalid(details)
    accepted = Accepted(lead_id=int(lead["id"]), lead_uuid=lead["uuid"], created=False)
    update_lead(sql, accepted.lead_id, {"status": SubmissionStatus.NEW, "updated_at": now})
    data = dict(lead["data"] or {})
    return _submitted(sql, company_id, accepted, campaign["id"], "manual", data, now)


async def approve(
    leads: SubmittedLeadRepository, lead_id: str, body: Any, now: datetime
) -> SubmittedLead:
    request = parse(ApproveRequest, body)
    lead = await leads.by_uuid(lead_id, for_update=True)
    if lead is None:
        raise not_found(f"lead {lead_id!r}")
    lead.approval = request.status
    lead.approval_reason = request.reason
    lead.updated_at = now
    await leads.session.flush()
    return lead


def _lead(sql: Sql, company_id: int, lead_id: str) -> Row:
    lead = lead_row(sql, company_id, lead_id)
    if lead is None:
        raise not_found(f"lead {lead_id!r}")
    return lead


def _submitted(
    sql: Sql,
    company_id: int,
    accepted: Accepted,
    campaign_id: int | None,
    kind: str,
    data: dict[str, Any],
    now: datetime,
    number: int | None = None,
) -> Accepted:
    """``accepted`` with its new submission (status ``new``, due now) written; without a
    ``number``, the lead's next."""
    row = insert_submission(
        sql,
        now,
        company_id=company_id,
        lead_id=accepted.lead_id,
        campaign_id=campaign_id,
        type=kind,
        data=data,
        **({"number": number} if number is not None else {}),
    )
    submission_uuid, number = row["uuid"], int(row["number"])
    return replace(accepted, submission_uuid=submission_uuid, submission_number=number)


def _modified(
    sql: Sql, company_id: int, lead: Row, changes: dict[str, Any], now: datetime
) -> dict[str, Any]:
    """The lead's data with a repost's changes, checked as a submission would be."""
    base = {k: v for k, v in (lead["data"] or {}).items() if k != QUESTIONNAIRE_LABELS}
    candidate = merged(base, changes) | {"leadId": lead["uuid"]}
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
    data = _with_labels(sql, company_id, data)
    old_labels = (lead["data"] or {}).get(QUESTIONNAIRE_LABELS) or {}
    data[QUESTIONNAIRE_LABELS] = {**data.get(QUESTIONNAIRE_LABELS, {}), **old_labels}
    return data


def _with_labels(sql: Sql, company_id: int, data: dict[str, Any]) -> dict[str, Any]:
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
    unlabelled = [key for key in answers if not found.get(key)]
    library = field_labels(sql, company_id, unlabelled)
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
