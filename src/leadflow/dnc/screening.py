"""The do-not-call checks other domains call on their hot paths: one call each, no database.

Intake, the cadence, make_call and the submissions pipeline ask the process's
:class:`DncRegistry` which shared lists hold a number (two array reads per list, against the
memory-mapped store), then keep the lists the schedule or campaign applies and weigh its
exemptions (:mod:`leadflow.dnc.policy`). The registry's own refresh reads the versions in force
at most every ``LEADFLOW_DNC_REFRESH_SECONDS``, never once per lead.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from leadflow.dnc.policy import CLEAR, ScheduleDnc, Verdict, schedule_verdict
from leadflow.dnc.registry import DncRegistry, ListHit

NO_HITS: tuple[ListHit, ...] = ()


def number_hits(registry: DncRegistry | None, number: str | None) -> tuple[ListHit, ...]:
    """Every shared list holding ``number`` (the settings choose among them later)."""
    if registry is None or not number:
        return NO_HITS
    return tuple(registry.hits(number, None))


def schedule_hits(
    registry: DncRegistry | None, schedule_id: int | None, number: str | None
) -> tuple[ListHit, ...]:
    """The shared lists holding the number of a lead stored on ``schedule_id``, as the registry
    last read them. A lead stored on an offer is not worked, so is not checked."""
    if schedule_id is None:
        return NO_HITS
    return number_hits(registry, number)


async def intake_hits(
    registry: DncRegistry | None, schedule_id: int | None, number: str | None
) -> tuple[ListHit, ...]:
    """:func:`schedule_hits` for a posted lead, read before the lead's unit runs (the unit
    itself may not await), the registry refreshed first when it is due."""
    if registry is not None and schedule_id is not None and number:
        await registry.refresh()
    return schedule_hits(registry, schedule_id, number)


def lead_verdict(
    hits: tuple[ListHit, ...],
    policy: ScheduleDnc,
    inquiry_at: datetime | None,
    tokens: Mapping[str, Any] | None,
    now: datetime,
) -> Verdict:
    """The schedule's verdict on its lead: the applying lists holding its number and the
    exemption, if any, that lets it be contacted anyway."""
    if not hits:
        return CLEAR
    return schedule_verdict(hits, policy, inquiry_at, tokens, now)


def blocking_lists(
    registry: DncRegistry | None,
    policy: ScheduleDnc,
    number: str | None,
    inquiry_at: datetime | None,
    tokens: Mapping[str, Any] | None,
    now: datetime,
) -> tuple[str, ...]:
    """The lists that stop contacting ``number`` now under the schedule's settings (none when
    they do not apply or an exemption does), named with their versions: what the cadence ends
    a lead ``dnc`` for before its next action, and what make_call refuses a call for."""
    verdict = lead_verdict(number_hits(registry, number), policy, inquiry_at, tokens, now)
    return verdict.lists if verdict.blocks else ()


def verdict_event(verdict: Verdict) -> tuple[str, dict[str, Any]] | None:
    """The timeline event that says why a lead was stored ``dnc`` or contacted though listed."""
    if not verdict.lists:
        return None
    if verdict.exemption is not None:
        return "dnc_exempted", {"lists": list(verdict.lists), "exemption": verdict.exemption}
    return "dnc_listed", {"lists": list(verdict.lists)}
