"""Step 8: which campaigns a lead may go to instead, in order.

The campaign that qualifies the lead comes first, then its fallbacks in their configured
order, one level deep (a fallback's own fallbacks are not followed), never the campaign
itself or the one the lead was submitted to, never an inactive one, never twice. The
targets a cap or the hours name (action ``campaign``) are evaluated alongside, since the
decision to use them is only made once the counters are read.
"""

from __future__ import annotations

from leadflow.submissions.pipeline.campaigns import Campaign, CampaignBook


def candidates(primary: Campaign, original: Campaign, book: CampaignBook) -> list[Campaign]:
    ordered = [primary]
    seen = {primary.id, original.id}
    for ref in primary.config.fallback_campaign_ids:
        fallback = book.resolve(primary.company_id, ref)
        if fallback is None or not fallback.active or fallback.id in seen:
            continue
        seen.add(fallback.id)
        ordered.append(fallback)
    return ordered


def overflow_targets(campaigns: list[Campaign], book: CampaignBook) -> list[Campaign]:
    """The active campaigns named by the candidates' cap and off-hours actions."""
    found: dict[int, Campaign] = {}
    for campaign in campaigns:
        config = campaign.config
        actions = [config.caps.on_cap] + ([config.hours.off_hours] if config.hours else [])
        for action in actions:
            if action.action != "campaign":
                continue
            target = book.resolve(campaign.company_id, action.target_campaign_id)
            if target is not None and target.active and target.id != campaign.id:
                found[target.id] = target
    return list(found.values())
