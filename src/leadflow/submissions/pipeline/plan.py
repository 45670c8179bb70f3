"""A claimed submission's plan: steps 1 to 6 worked out, before any counter is read.

Planning only reads what the claim loaded. :func:`draft_plan` works everything out without the
network, inside the claiming transaction, or after it when a campaign's dynamic keys run
user templates (see ``job.py``); a campaign with an AI qualifier that the rules passed
leaves the plan ``ai_pending``, and :func:`ask_ai` asks it between transactions. Every
campaign the lead might end up in (where routing sends it, that campaign's fallbacks, the
targets its caps and hours name) is evaluated here;
:mod:`~leadflow.submissions.pipeline.decide` then picks one under the caps.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import httpx

from leadflow.db.statements import Row
from leadflow.dnc.registry import DncRegistry, ListHit
from leadflow.dnc.screening import NO_HITS, number_hits
from leadflow.kit.templating import TemplateLimits
from leadflow.submissions.pipeline import ai_qualifier
from leadflow.submissions.pipeline.auction_seating import buyer_campaigns
from leadflow.submissions.pipeline.campaigns import Campaign, CampaignBook
from leadflow.submissions.pipeline.delivery import UrlPolicy
from leadflow.submissions.pipeline.fallbacks import candidates, overflow_targets
from leadflow.submissions.pipeline.steps import Evaluation, Step, evaluate, route, with_ai_verdict


@dataclass
class Plan:
    submission: Row
    lead: Row
    original: Campaign | None
    routing: dict[str, Any] = field(default_factory=dict)
    steps: list[Step] = field(default_factory=list)
    # The routed-to (or submitted) campaign first, then its fallbacks.
    candidates: list[Evaluation] = field(default_factory=list)
    overflow: dict[int, Evaluation] = field(default_factory=dict)
    # Campaigns whose AI qualifier must still be asked (their rules passed the lead).
    ai_pending: list[int] = field(default_factory=list)
    # The shared do-not-call lists holding the lead's phone, read once for every campaign.
    dnc_hits: tuple[ListHit, ...] = NO_HITS

    @property
    def manual(self) -> bool:
        return bool(self.submission["type"] == "manual")


def lead_data(submission: Row, lead: Row) -> dict[str, Any]:
    """What the trip works on: the submission's own data (a repost's modified payload), else
    the lead's, with the lead's identity fields for rules that name them."""
    data = dict(submission.get("data") or lead.get("data") or {})
    data.setdefault("isTest", bool(lead.get("is_test")))
    return data


def draft_plan(
    submission: Row,
    lead: Row,
    book: CampaignBook,
    today: date,
    limits: TemplateLimits | None = None,
    dnc: DncRegistry | None = None,
    now: datetime | None = None,
) -> Plan:
    """Steps 1 to 6 without the network (see ``ai_pending``); dynamic keys' templates run
    under ``limits``; ``dnc``: the lists a campaign's do-not-call setting checks."""
    original = book.by_id.get(submission["campaign_id"]) if submission["campaign_id"] else None
    plan = Plan(submission, lead, original)
    if original is None or not original.active:
        return plan
    data = lead_data(submission, lead)
    if plan.manual:
        plan.routing = {
            "wasRouted": False,
            "originalCampaignId": original.uuid,
            "routedToCampaignId": None,
            "routingRuleName": None,
        }
        plan.candidates = [evaluate(original, data, today, manual=True, limits=limits)]
        buyers = buyer_campaigns(original, book.resolve)
        plan.overflow = {c.id: evaluate(c, data, today, manual=True, limits=limits) for c in buyers}
        return plan
    plan.dnc_hits = number_hits(dnc, lead.get("phone"))
    routed = route(original, data, book)
    plan.routing = routed.routing
    plan.steps.append(routed.record)
    campaigns = candidates(routed.campaign, original, book)
    buyers = [b for c in campaigns for b in buyer_campaigns(c, book.resolve)]
    extra = [c for c in overflow_targets(campaigns, book) + buyers if c not in campaigns]
    extra = list({c.id: c for c in extra}.values())
    evaluations = [
        evaluate(campaign, data, today, limits=limits, dnc_hits=plan.dnc_hits, now=now)
        for campaign in campaigns + extra
    ]
    plan.candidates = evaluations[: len(campaigns)]
    plan.overflow = {ev.campaign.id: ev for ev in evaluations}
    plan.ai_pending = [ev.campaign.id for ev in plan.overflow.values() if _asks_ai(ev)]
    return plan


async def ask_ai(plan: Plan, http: httpx.AsyncClient, policy: UrlPolicy) -> Plan:
    """Fold the AI qualifiers' verdicts into a drafted plan (all asked at once)."""
    if not plan.ai_pending:
        return plan
    asked = await asyncio.gather(
        *(_ask(plan.overflow[campaign_id], http, policy) for campaign_id in plan.ai_pending)
    )
    verdicts = {evaluation.campaign.id: evaluation for evaluation in asked}
    plan.candidates = [verdicts.get(ev.campaign.id, ev) for ev in plan.candidates]
    plan.overflow = {key: verdicts.get(key, ev) for key, ev in plan.overflow.items()}
    plan.ai_pending = []
    return plan


def ai_timeout(plan: Plan) -> float:
    """The longest :func:`ask_ai` may take for ``plan``: its qualifiers are asked at once,
    each within its own timeout."""
    timeouts = [
        ai.timeout_seconds
        for campaign_id in plan.ai_pending
        if (ai := plan.overflow[campaign_id].campaign.config.ai_qualifier) is not None
    ]
    return max(timeouts, default=0.0)


def _asks_ai(evaluation: Evaluation) -> bool:
    ai = evaluation.campaign.config.ai_qualifier
    return evaluation.passed and ai is not None and ai.enabled


async def _ask(evaluation: Evaluation, http: httpx.AsyncClient, policy: UrlPolicy) -> Evaluation:
    campaign = evaluation.campaign
    ai = campaign.config.ai_qualifier
    assert ai is not None
    fields = [rule.field for rule in campaign.config.field_qualification]
    verdict = await ai_qualifier.ask(http, ai, evaluation.data, fields, policy)
    return with_ai_verdict(evaluation, verdict.passed, verdict.score, verdict.reason)
