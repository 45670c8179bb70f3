"""A schedule's do-not-call settings in its web form: three list switches, the exemptions.

The form shows the lists most schedules choose among (federal, every state list, litigator);
per-state overrides (``state:XX``) set through the API are kept when the form is saved.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from leadflow.dnc.policy import schedule_dnc

FORM_LISTS: tuple[tuple[str, str], ...] = (
    ("federal", "Federal registry"),
    ("state", "State lists"),
    ("litigator", "Litigator list"),
)
PREFIX = "dnc_settings"


def form_values(stored: Mapping[str, Any] | None) -> dict[str, Any]:
    """What the form shows for the stored settings."""
    policy = schedule_dnc(stored)
    return {
        "lists": {name: policy.applies(name) for name, _ in FORM_LISTS},
        "exempt_recent_inquiry": policy.exempt_recent_inquiry,
        "recent_inquiry_days": str(policy.recent_inquiry_days),
        "exempt_written_consent": policy.exempt_written_consent,
    }


def posted_settings(form: Mapping[str, Any], stored: Mapping[str, Any] | None) -> dict[str, Any]:
    """The settings as posted, raw, for the schedule schema to check; per-state overrides the
    form does not show are kept from ``stored``."""
    lists = dict(schedule_dnc(stored).lists)
    for name, _ in FORM_LISTS:
        lists[name] = form.get(f"{PREFIX}.lists.{name}") == "on"
    return {
        "lists": lists,
        "exempt_recent_inquiry": form.get(f"{PREFIX}.exempt_recent_inquiry") == "on",
        "recent_inquiry_days": str(form.get(f"{PREFIX}.recent_inquiry_days") or "90").strip(),
        "exempt_written_consent": form.get(f"{PREFIX}.exempt_written_consent") == "on",
    }
