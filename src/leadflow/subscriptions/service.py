"""The rules a subscription's values must pass before they are stored."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from leadflow.db.repository import CompanyRepository
from leadflow.kit.errors import TrackDriveError
from leadflow.kit.outbound_urls import check_outbound_url
from leadflow.offers.repository import OfferRepository
from leadflow.schedules.repository import ScheduleRepository
from leadflow.traffic_sources.repository import TrafficSourceRepository

# Trigger fields that name a row: the row must be the company's own, or a filter on another
# company's schedule would quietly never fire (and would confirm that the id exists).
OWNED_TRIGGERS: tuple[tuple[str, type[CompanyRepository[Any]], str], ...] = (
    ("schedule_id", ScheduleRepository, "schedules"),
    ("traffic_source_id", TrafficSourceRepository, "traffic sources"),
    ("offer_id", OfferRepository, "offers"),
)


def new_signing_secret() -> str:
    """The HMAC key deliveries are signed with; shown once, like a private key."""
    return "whsec_" + secrets.token_urlsafe(32)


async def check_values(
    session: AsyncSession,
    company_id: int,
    values: dict[str, Any],
    allow_private: bool,
    allow_loopback: bool = False,
) -> None:
    """Raise one 422 naming every bad field among ``values`` (those about to be written)."""
    errors: dict[str, list[str]] = {}
    if "target_url" in values:
        try:
            check_outbound_url(values["target_url"], allow_private, allow_loopback=allow_loopback)
        except ValueError as exc:
            errors["target_url"] = [str(exc)]
    triggers = values.get("trigger_fields") or {}
    for name, repository, plural in OWNED_TRIGGERS:
        ref = triggers.get(name)
        if ref is not None and await repository(session, company_id).get(ref) is None:
            errors[f"trigger_fields.{name}"] = [f"must be one of your {plural}"]
    if errors:
        raise TrackDriveError.invalid(errors)
