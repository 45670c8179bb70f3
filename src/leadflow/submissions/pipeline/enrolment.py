"""A campaign's first-submission action: the qualified lead's phone joins a schedule, which
then calls or texts it like any lead posted there (the two halves of the product joined).

It goes through the intake service, so the schedule's duplicate timeframe, the suppression
list and the ``new_lead`` webhook behave exactly as for a lead posted to ``/api/v1/leads``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from leadflow.db.statements import Row, Sql
from leadflow.dnc.policy import consent_tokens, schedule_dnc
from leadflow.dnc.registry import ListHit
from leadflow.kit.errors import TrackDriveError
from leadflow.leads.owner import LeadOwner
from leadflow.leads.params import IntakeParams
from leadflow.leads.rules import IntakeContext
from leadflow.leads.service import intake
from leadflow.leads.tokens import TokenValue
from leadflow.submissions.field_paths import field_value, is_present
from leadflow.submissions.pipeline import repository
from leadflow.submissions.pipeline.campaigns import Campaign
from leadflow.submissions.pipeline.steps import Step, step

# Lead data copied onto the schedule's lead as tokens (its templates and webhooks read them).
TOKEN_SOURCES = {
    "first_name": "firstName",
    "last_name": "lastName",
    "address": "address.street",
    "city": "address.city",
    "state": "address.state",
    "zip": "address.zip",
}


def enrol(
    sql: Sql,
    lead: Row,
    campaign: Campaign,
    data: dict[str, Any],
    now: datetime,
    dnc_hits: tuple[ListHit, ...] = (),
) -> Step:
    """Create (or refresh) the schedule's lead for this person; a failure is recorded, never
    raised, as the submission itself has succeeded. ``dnc_hits``: the shared do-not-call lists
    holding the phone; the schedule's settings decide (its written-consent exemption reads the
    submission's ``compliance.tcpaConsent``, carried as the lead's consent tokens)."""
    action = campaign.config.first_submission_action
    assert action is not None
    name = "first_submission_action"
    if not lead.get("phone"):
        return step(name, "skipped", campaign, reason="the lead has no phone")
    owner_row = repository.schedule_owner(sql, lead["company_id"], action.schedule_id)
    if owner_row is None:
        return step(name, "failed", campaign, reason=f"schedule {action.schedule_id} not found")
    owner = LeadOwner(
        company_id=lead["company_id"],
        offer_id=owner_row["offer_id"],
        schedule_id=owner_row["id"],
        region=owner_row["default_region"] or "US",
        schedule_type=owner_row["schedule_type"],
        paused=bool(owner_row["paused"]),
        duplicate_timeframe=int(owner_row["lead_duplicate_timeframe"] or 0),
        dnc=schedule_dnc(owner_row["dnc_settings"]),
    )
    tokens: dict[str, TokenValue] = {"leadsail_lead_id": lead["uuid"], "campaign": campaign.code}
    for token, path in TOKEN_SOURCES.items():
        value = field_value(data, path)
        if is_present(value) and isinstance(value, str | int | float | bool):
            tokens[token] = value
    tokens.update(consent_tokens(data))
    params = IntakeParams(caller_id=lead["phone"], email=lead.get("email"), tokens=tokens)
    sql.run("SAVEPOINT enrol")
    try:
        ctx = IntakeContext(now=now, remote_ip=None, dnc_hits=dnc_hits)
        result = intake(sql, owner, params, ctx)
    except (TrackDriveError, ValueError) as exc:
        sql.run("ROLLBACK TO SAVEPOINT enrol")
        sql.run("RELEASE SAVEPOINT enrol")
        return step(name, "failed", campaign, reason=str(exc))
    sql.run("RELEASE SAVEPOINT enrol")
    return step(
        name,
        result.dedupe_action,
        campaign,
        scheduleId=action.schedule_id,
        scheduleLeadId=result.lead["uuid"],
        scheduleLeadStatus=result.lead["status"],
    )
