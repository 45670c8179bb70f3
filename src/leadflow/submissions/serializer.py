"""How the LeadSail dialect shows a submitted lead and its submissions (camelCase).

``leadId`` and ``submissionId`` are uuids; a campaign is shown by its uuid. The questionnaire
is shown in the array form, each answer with the label the field library gave its key when the
lead was submitted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from leadflow.models import Submission, SubmittedLead

# Kept in ``SubmittedLead.data`` beside the request's own fields: questionnaire key → label,
# taken from the field library (or the array form's ``question``) at submission time.
QUESTIONNAIRE_LABELS = "questionnaireLabels"


def timestamp(moment: datetime) -> str:
    """``2024-01-15T10:30:00.000Z``, as LeadSail writes times."""
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def _optional_time(moment: datetime | None) -> str | None:
    return timestamp(moment) if moment is not None else None


def questionnaire_answers(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The stored questionnaire as ``[{key, question, answer}]``."""
    labels = data.get(QUESTIONNAIRE_LABELS) or {}
    answers = data.get("questionnaire") or {}
    if isinstance(answers, list):
        return [dict(item) for item in answers if isinstance(item, Mapping)]
    return [
        {"key": key, "question": labels.get(key, key), "answer": answer}
        for key, answer in answers.items()
    ]


def lead_body(lead: SubmittedLead, campaign_uuids: Mapping[int, str]) -> dict[str, Any]:
    data = {k: v for k, v in (lead.data or {}).items() if k not in (QUESTIONNAIRE_LABELS,)}
    return {
        **data,
        "id": lead.uuid,
        "leadId": lead.uuid,
        "campaignId": campaign_uuids.get(lead.campaign_id) if lead.campaign_id else None,
        "status": lead.status,
        "approval": lead.approval,
        "approvalReason": lead.approval_reason,
        "isTest": lead.is_test,
        "firstName": lead.first_name,
        "lastName": lead.last_name,
        "email": lead.email,
        "phone": lead.phone,
        "questionnaire": questionnaire_answers(lead.data or {}),
        "createdAt": timestamp(lead.created_at),
        "updatedAt": timestamp(lead.updated_at),
    }


def _qualification(submission: Submission) -> dict[str, Any]:
    found = submission.qualification or {}
    return {
        "passed": found.get("passed"),
        "score": found.get("score"),
        "method": found.get("method"),
        "reason": found.get("reason"),
        **found,
    }


def _routing(submission: Submission) -> dict[str, Any]:
    found = submission.routing or {}
    return {
        "wasRouted": found.get("wasRouted", False),
        "originalCampaignId": found.get("originalCampaignId"),
        "routedToCampaignId": found.get("routedToCampaignId"),
        "routingRuleName": found.get("routingRuleName"),
        **found,
    }


def submission_body(submission: Submission, campaign_uuids: Mapping[int, str]) -> dict[str, Any]:
    """One trip through the pipeline with what each step decided (as the worker recorded it)."""
    campaign = submission.campaign_id
    return {
        "id": submission.uuid,
        "submissionId": submission.uuid,
        "submissionNumber": submission.number,
        "type": submission.type,
        "status": submission.status,
        "campaignId": campaign_uuids.get(campaign) if campaign else None,
        "qualification": _qualification(submission),
        "routing": _routing(submission),
        "delivery": dict(submission.delivery or {}),
        "steps": list(submission.steps or []),
        "attempts": submission.attempts,
        "nextAttemptAt": _optional_time(submission.next_attempt_at),
        "deliveredAt": _optional_time(submission.delivered_at),
        "createdAt": timestamp(submission.created_at),
        "updatedAt": timestamp(submission.updated_at),
    }


def lead_details(
    lead: SubmittedLead, submissions: Sequence[Submission], campaign_uuids: Mapping[int, str]
) -> dict[str, Any]:
    """``GET /leads/{leadId}``: the lead, its submissions (newest first) and its status."""
    return {
        **lead_body(lead, campaign_uuids),
        "submissions": [submission_body(s, campaign_uuids) for s in submissions],
    }


def accepted(lead_id: str, submission_id: str, number: int, now: datetime) -> dict[str, Any]:
    """The documented answer to a submission (flat, not under ``data``)."""
    return {
        "success": True,
        "leadId": lead_id,
        "submissionId": submission_id,
        "submissionNumber": number,
        "message": "Lead submitted for processing",
        "timestamp": timestamp(now),
    }
