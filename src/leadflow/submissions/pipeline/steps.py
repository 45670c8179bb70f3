"""Pipeline steps 1 to 6 as plain functions of the lead's data, a campaign and the date.

Each step returns what it decided and a record for the submission's ``steps`` list, so a
buyer dispute can be answered from the row alone. Nothing here reads the database or the
network; the AI qualifier's answer is folded in by :func:`with_ai_verdict`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from leadflow.dnc.policy import campaign_disqualification
from leadflow.dnc.registry import ListHit
from leadflow.kit.templating import TemplateLimits
from leadflow.submissions.conditions import disqualifying_rules, first_matching_rule
from leadflow.submissions.dynamic_keys import apply_dynamic_keys
from leadflow.submissions.field_paths import field_value, with_field
from leadflow.submissions.payload import EncodedBody, PayloadError, build_payload, encode_payload
from leadflow.submissions.pipeline.campaigns import Campaign, CampaignBook
from leadflow.submissions.qualification import mapped_answers, missing_required_fields, qualify

Step = dict[str, Any]


def step(name: str, outcome: str, campaign: Campaign | None = None, **detail: Any) -> Step:
    record: Step = {"step": name, "outcome": outcome}
    if campaign is not None:
        record["campaignId"] = campaign.uuid
    record.update({key: value for key, value in detail.items() if value is not None})
    return record


@dataclass(frozen=True)
class Routed:
    """Step 1: where the lead is qualified (the submitted campaign or a rule's target)."""

    campaign: Campaign
    routing: dict[str, Any]
    record: Step


def route(original: Campaign, data: Mapping[str, Any], book: CampaignBook) -> Routed:
    """The first matching active routing rule whose target is another active campaign of the
    company sends the lead there; the target's own routing rules are not followed."""
    routing: dict[str, Any] = {
        "wasRouted": False,
        "originalCampaignId": original.uuid,
        "routedToCampaignId": None,
        "routingRuleName": None,
    }
    rules = original.config.routing_rules if original.config.auto_routing else []
    rule = first_matching_rule(rules, data)
    if rule is None:
        return Routed(original, routing, step("routing", "not_routed", original))
    target = book.resolve(original.company_id, rule.target_campaign_id)
    if target is None or not target.active or target.id == original.id:
        why = "is not an active campaign" if target is None or not target.active else "is itself"
        record = step(
            "routing",
            "not_routed",
            original,
            rule=rule.name,
            reason=f"target {rule.target_campaign_id} {why}",
        )
        return Routed(original, routing, record)
    routing.update(wasRouted=True, routedToCampaignId=target.uuid, routingRuleName=rule.name)
    return Routed(target, routing, step("routing", "routed", target, rule=rule.name))


@dataclass(frozen=True)
class Evaluation:
    """Steps 2 to 6 in one campaign: qualified or not, and the body to deliver."""

    campaign: Campaign
    passed: bool
    reason: str | None
    qualification: dict[str, Any]
    data: dict[str, Any]
    steps: list[Step] = field(default_factory=list)
    payload: dict[str, Any] | None = None
    body: EncodedBody | None = None
    failed_step: str | None = None


def evaluate(
    campaign: Campaign,
    data: Mapping[str, Any],
    today: date,
    *,
    manual: bool = False,
    limits: TemplateLimits | None = None,
    dnc_hits: Sequence[ListHit] = (),
    now: datetime | None = None,
) -> Evaluation:
    """Disqualification, dynamic keys, required fields, field qualification, payload.

    A manual delivery (an operator's decision) skips the rules and only builds the payload.
    A dynamic key's template that breaks a limit (``limits``) is an ``error`` step: the lead
    goes no further in this campaign. ``dnc_hits``: the shared do-not-call lists holding the
    lead's phone, which disqualify it where the campaign's ``dnc`` setting says so."""
    config = campaign.config
    steps: list[Step] = []
    current = dict(data)
    if manual:
        summary = {"passed": True, "score": 100.0, "method": "manual", "reason": None}
        steps.append(step("qualification", "skipped", campaign, reason="manual delivery"))
        return _with_payload(Evaluation(campaign, True, None, summary, current, steps))

    listed = campaign_disqualification(dnc_hits, config.dnc, current, now)
    if listed is not None:
        steps.append(step("disqualification", "disqualified", campaign, reason=listed))
        return _failed(campaign, current, steps, "disqualification", listed, "dnc")
    matched = disqualifying_rules(config.disqualification_rules, current)
    if matched:
        names = ", ".join(repr(rule.name) for rule in matched)
        reasons = "; ".join(rule.reason for rule in matched if rule.reason)
        reason = f"disqualified by {names}" + (f": {reasons}" if reasons else "")
        steps.append(step("disqualification", "disqualified", campaign, reason=reason))
        return _failed(campaign, current, steps, "disqualification", reason, "rules")
    steps.append(step("disqualification", "passed", campaign))

    keyed = apply_dynamic_keys(config.dynamic_keys, current, today, limits)
    current = keyed.lead
    if keyed.broken is not None:
        reason = f"dynamic key {keyed.broken}"
        steps.append(step("dynamic_keys", "error", campaign, reason=reason))
        return _failed(campaign, current, steps, "dynamic_keys", reason, "rules")
    steps.append(
        step(
            "dynamic_keys",
            "computed",
            campaign,
            values=keyed.values or None,
            errors=keyed.errors or None,
        )
    )

    missing = missing_required_fields(config.required_fields, current)
    if missing:
        reason = "missing required fields: " + ", ".join(missing)
        steps.append(step("required_fields", "missing", campaign, fields=missing))
        return _failed(campaign, current, steps, "required_fields", reason, "rules")
    steps.append(step("required_fields", "passed", campaign))

    result = qualify(config.field_qualification, current, config.value_sets)
    mapped = mapped_answers(result)
    current = apply_mapped(current, mapped)
    steps.append(
        step(
            "field_qualification",
            "passed" if result.passed else "failed",
            campaign,
            score=result.score,
            reason=result.reason,
            mapped=mapped or None,
        )
    )
    summary = result.summary()
    if not result.passed:
        return Evaluation(
            campaign, False, result.reason, summary, current, steps, None, None, "qualification"
        )
    return _with_payload(Evaluation(campaign, True, None, summary, current, steps))


def with_ai_verdict(
    evaluation: Evaluation, passed: bool | None, score: float | None, reason: str | None
) -> Evaluation:
    """Fold the AI qualifier's answer in; ``passed`` None means it gave none (unreachable,
    unreadable), and the rules' verdict stands."""
    if passed is None:
        record = step("ai_qualifier", "unavailable", evaluation.campaign, reason=reason)
        return replace(evaluation, steps=[*evaluation.steps, record])
    record = step(
        "ai_qualifier",
        "passed" if passed else "failed",
        evaluation.campaign,
        score=score,
        reason=reason,
    )
    summary = {
        "passed": passed,
        "score": evaluation.qualification["score"] if score is None else score,
        "method": "ai",
        "reason": reason,
    }
    return replace(
        evaluation,
        passed=passed,
        reason=None if passed else reason or "the AI qualifier declined the lead",
        qualification=summary,
        steps=[*evaluation.steps, record],
        failed_step=None if passed else "qualification",
    )


def apply_mapped(data: dict[str, Any], mapped: Mapping[str, Any]) -> dict[str, Any]:
    """The buyer gets the accepted spelling. A field answered in the questionnaire's array
    form is left as given (rewriting it would turn the array into an object)."""
    current = data
    for path, value in mapped.items():
        parent = path.rpartition(".")[0]
        if parent and not isinstance(field_value(current, parent), Mapping):
            continue
        current = with_field(current, path, value)
    return current


def _failed(
    campaign: Campaign,
    data: dict[str, Any],
    steps: list[Step],
    failed_step: str,
    reason: str,
    method: str,
) -> Evaluation:
    summary = {"passed": False, "score": 0.0, "method": method, "reason": reason}
    return Evaluation(campaign, False, reason, summary, data, steps, None, None, failed_step)


def _with_payload(evaluation: Evaluation) -> Evaluation:
    """Step 6: the payload from the campaign's tree, encoded in the buyer's format. A lead
    the tree cannot be built from (a required value missing) is not deliverable here."""
    endpoint = evaluation.campaign.config.endpoint
    if endpoint is None:
        return evaluation
    try:
        payload = build_payload(endpoint.payload, evaluation.data)
        # A GET carries its payload in the query string.
        body_format = "form" if endpoint.method == "GET" else endpoint.body_format
        body = encode_payload(payload, body_format, endpoint.xml_root)
    except PayloadError as exc:
        reason = f"payload: {exc}"
        record = step("payload", "failed", evaluation.campaign, reason=reason)
        return replace(
            evaluation,
            passed=False,
            reason=reason,
            qualification={**evaluation.qualification, "passed": False, "reason": reason},
            steps=[*evaluation.steps, record],
            failed_step="payload",
        )
    record = step("payload", "built", evaluation.campaign, bodyFormat=body_format, payload=payload)
    return replace(evaluation, payload=payload, body=body, steps=[*evaluation.steps, record])
