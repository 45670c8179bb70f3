"""Which do-not-call lists a schedule or campaign applies, and when an exemption lets a listed
number be contacted anyway. Pure: the hits come from the registry, the time from the caller.

A schedule's settings (``schedules.dnc_settings``) turn each shared list on or off (every list
applies unless turned off) and turn the exemptions on (off by default). The company's internal
list (its contacts marked do-not-call or opted out) always applies and admits no exemption:
after a consumer asked the company not to call, nothing lets it call again.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from leadflow.dnc.registry import INTERNAL, ListHit
from leadflow.submissions.campaign_config import CampaignConfigModel

_LIST_KEY = re.compile(r"^(federal|litigator|state|internal|state:[A-Za-z]{2})$")
MAX_INQUIRY_DAYS = 548
"""18 months: the longest any relationship exemption runs (after a purchase)."""
CONSENT_TOKEN = "tcpa_consent"
CONSENT_TIME_TOKEN = "tcpa_consent_timestamp"
"""Lead tokens that record written consent; a LeadSail lead enrolled in a schedule carries its
submission's ``compliance.tcpaConsent`` and ``compliance.tcpaConsentTimestamp`` in them."""


def _checked_lists(value: dict[str, bool]) -> dict[str, bool]:
    normalised: dict[str, bool] = {}
    for key, on in value.items():
        if not _LIST_KEY.match(key):
            raise ValueError(f"{key!r} is not a list: use federal, state, state:XX or litigator")
        name = "state:" + key[6:].upper() if key.startswith("state:") else key
        if name == INTERNAL and not on:
            raise ValueError("the internal list always applies and cannot be turned off")
        normalised[name] = on
    return normalised


def list_applies(lists: Mapping[str, bool], name: str) -> bool:
    """Whether the list ``name`` applies under ``lists``: a list not named applies; a state
    list not named follows ``state``."""
    if name in lists:
        return lists[name]
    if name.startswith("state:"):
        return lists.get("state", True)
    return True


class ScheduleDnc(BaseModel):
    """A schedule's do-not-call settings, as the schedules API shows and takes them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    lists: dict[str, bool] = Field(
        default_factory=dict,
        description="Shared lists turned on or off: federal, litigator, state (every state "
        "list), state:XX (one state, over state). A list not named applies. The internal "
        "list always applies.",
        examples=[{"federal": True, "state": False, "state:TX": True, "litigator": True}],
    )
    exempt_recent_inquiry: bool = Field(
        default=False,
        description="Contact a listed number while the lead's inquiry (its first post) is "
        "younger than recent_inquiry_days.",
    )
    recent_inquiry_days: int = Field(default=90, ge=1, le=MAX_INQUIRY_DAYS)
    exempt_written_consent: bool = Field(
        default=False,
        description="Contact a listed number whose lead records written consent: the tokens "
        "tcpa_consent (true) and tcpa_consent_timestamp (not in the future).",
    )

    _lists = field_validator("lists")(_checked_lists)

    def applies(self, name: str) -> bool:
        return list_applies(self.lists, name)


DEFAULT_SCHEDULE_DNC = ScheduleDnc()


def schedule_dnc(stored: Mapping[str, Any] | None) -> ScheduleDnc:
    """The settings stored on a schedule row; an empty or unreadable value is the default (every
    list applies, no exemption): a broken setting never lets a listed number through."""
    if not stored:
        return DEFAULT_SCHEDULE_DNC
    try:
        return ScheduleDnc.model_validate(stored)
    except ValueError:
        return DEFAULT_SCHEDULE_DNC


class CampaignDnc(CampaignConfigModel):
    """A campaign's do-not-call disqualification (``dnc`` in its configuration), off unless
    ``disqualify`` is set."""

    disqualify: bool = False
    lists: dict[str, bool] = Field(default_factory=dict)
    exempt_written_consent: bool = False

    _lists = field_validator("lists")(_checked_lists)

    def applies(self, name: str) -> bool:
        return list_applies(self.lists, name)


@dataclass(frozen=True)
class Verdict:
    """What the lists say about one contact: the applying lists holding the number (named with
    their versions), and the exemption that lets it through anyway, if any."""

    lists: tuple[str, ...] = ()
    exemption: str | None = None

    @property
    def blocks(self) -> bool:
        return bool(self.lists) and self.exemption is None


CLEAR = Verdict()


def describe(hit: ListHit) -> str:
    """``federal (version 3)``, as messages and timelines name a list."""
    if hit.unavailable:
        return f"{hit.name} (unavailable on this node)"
    return f"{hit.name} (version {hit.version})"


def applying(hits: Iterable[ListHit], applies: ScheduleDnc | CampaignDnc) -> tuple[str, ...]:
    return tuple(describe(hit) for hit in hits if applies.applies(hit.name))


def exemption(
    policy: ScheduleDnc, inquiry_at: datetime | None, consent_at: datetime | None, now: datetime
) -> str | None:
    """The exemption the schedule grants this lead, or None. Written consent counts only with
    its time (not in the future); the inquiry is the lead's first post."""
    if policy.exempt_written_consent and consent_at is not None and consent_at <= now:
        return "written consent"
    if (
        policy.exempt_recent_inquiry
        and inquiry_at is not None
        and now - inquiry_at < timedelta(days=policy.recent_inquiry_days)
    ):
        return f"inquiry under {policy.recent_inquiry_days} days old"
    return None


def schedule_verdict(
    hits: Iterable[ListHit],
    policy: ScheduleDnc,
    inquiry_at: datetime | None,
    tokens: Mapping[str, Any] | None,
    now: datetime,
) -> Verdict:
    """The verdict for a schedule's lead from the shared lists holding its number."""
    lists = applying(hits, policy)
    if not lists:
        return CLEAR
    return Verdict(lists, exemption(policy, inquiry_at, consent_from_tokens(tokens), now))


def consent_from_tokens(tokens: Mapping[str, Any] | None) -> datetime | None:
    """When written consent was given, from the lead's tokens, or None when not recorded."""
    if not tokens or not _truthy(tokens.get(CONSENT_TOKEN)):
        return None
    return _as_time(tokens.get(CONSENT_TIME_TOKEN))


def consent_from_submission(data: Mapping[str, Any]) -> datetime | None:
    """When written consent was given, from a LeadSail lead's ``compliance``, or None."""
    compliance = data.get("compliance")
    if not isinstance(compliance, Mapping) or compliance.get("tcpaConsent") is not True:
        return None
    return _as_time(compliance.get("tcpaConsentTimestamp"))


def consent_tokens(data: Mapping[str, Any]) -> dict[str, str | bool]:
    """The lead tokens that carry a submission's written consent onto a schedule's lead."""
    given = consent_from_submission(data)
    if given is None:
        return {}
    return {CONSENT_TOKEN: True, CONSENT_TIME_TOKEN: given.isoformat()}


def campaign_disqualification(
    hits: Iterable[ListHit],
    policy: CampaignDnc | None,
    data: Mapping[str, Any],
    now: datetime | None,
) -> str | None:
    """Why the campaign turns the lead away (its phone on an applying list), or None. Written
    consent dated after ``now`` does not count."""
    if policy is None or not policy.disqualify:
        return None
    lists = applying(hits, policy)
    if not lists:
        return None
    if policy.exempt_written_consent:
        given = consent_from_submission(data)
        if given is not None and (now is None or given <= now):
            return None
    return f"the phone is on the {', '.join(lists)} do-not-call list"


def _truthy(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return isinstance(value, str | int) and str(value).strip().lower() in ("1", "true", "yes")


def _as_time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and value.strip():
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
