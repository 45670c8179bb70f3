"""A lead's do-not-call standing, as its web page shows it: which lists hold its number (each
with its version and import date, and whether the lead's schedule applies it), the company's
internal list, and the exemption that lets it be contacted anyway.

The verdict is the cadence's and make_call's (:func:`leadflow.dnc.policy.schedule_verdict`),
so the page says what they do. :func:`standing` is pure; :func:`lead_standing` reads the
process's registry, which the caller refreshed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from leadflow.dnc.policy import DEFAULT_SCHEDULE_DNC, ScheduleDnc, schedule_dnc, schedule_verdict
from leadflow.dnc.registry import DncRegistry, ListHit, ListVersion
from leadflow.dnc.screening import number_hits
from leadflow.models import Contact, Lead, Schedule


@dataclass(frozen=True)
class ListStanding:
    """One shared list holding the number."""

    name: str
    version: int
    imported_at: datetime | None
    applies: bool
    """Whether the lead's schedule applies this list (a list it turned off does not stop it)."""
    unavailable: bool = False
    """The list's file cannot be read on this node: every number counts as on it."""


@dataclass(frozen=True)
class DncStanding:
    lists: tuple[ListStanding, ...] = ()
    internal: str | None = None
    """Why the number is on the company's internal list (opted out, marked), or None."""
    exemption: str | None = None
    """The exemption that lets an applying list's number be contacted now, or None."""

    @property
    def listed(self) -> bool:
        return bool(self.lists) or self.internal is not None

    @property
    def blocks(self) -> bool:
        """Whether the lists stop the lead's calls and texts now. The internal list admits no
        exemption."""
        if self.internal is not None:
            return True
        return any(item.applies for item in self.lists) and self.exemption is None

    @property
    def summary(self) -> str:
        if not self.listed:
            return "On no do-not-call list: may be contacted."
        if self.internal is not None:
            return f"On the company's own do-not-call list ({self.internal}): never contacted."
        if self.blocks:
            return "On a list its schedule applies: not contacted."
        if self.exemption is not None:
            return f"On a list its schedule applies, but exempt ({self.exemption}): contacted."
        return "Only on lists its schedule does not apply: may be contacted."


def internal_reason(contact: Contact | None) -> str | None:
    """Why the number is on the company's internal list: its contact opted out or is marked
    do-not-call (the flags make_call and the cadence refuse)."""
    if contact is None:
        return None
    if contact.opt_out:
        return "opted out"
    if contact.dnc:
        return "marked do-not-call"
    return None


def standing(
    hits: Iterable[ListHit],
    versions: Iterable[ListVersion],
    policy: ScheduleDnc,
    internal: str | None,
    inquiry_at: datetime | None,
    tokens: Mapping[str, Any] | None,
    now: datetime,
) -> DncStanding:
    """The standing from the lists holding the number, the versions in force (for their
    import dates), the schedule's settings and the lead's inquiry time and tokens."""
    hits = tuple(hits)
    imported = {version.name: version.updated_at for version in versions}
    lists = tuple(
        ListStanding(
            hit.name, hit.version, imported.get(hit.name), policy.applies(hit.name), hit.unavailable
        )
        for hit in hits
    )
    verdict = schedule_verdict(hits, policy, inquiry_at, tokens, now)
    return DncStanding(lists, internal, verdict.exemption)


def lead_standing(
    registry: DncRegistry | None,
    lead: Lead,
    contact: Contact | None,
    schedule: Schedule | None,
    now: datetime,
) -> DncStanding:
    """The lead's standing under its schedule's settings (a lead in no schedule: every list,
    no exemption), from the lists in force in this process."""
    policy = schedule_dnc(schedule.dnc_settings) if schedule is not None else DEFAULT_SCHEDULE_DNC
    versions = registry.versions() if registry is not None else []
    return standing(
        number_hits(registry, lead.caller_id),
        versions,
        policy,
        internal_reason(contact),
        lead.created_at,
        lead.tokens,
        now,
    )
