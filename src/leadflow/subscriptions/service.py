"""The rules a subscription's values must pass before they are stored."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from leadflow.db.repository import CompanyRepository
from leadflow.db.session import flush_or_422
from leadflow.kit.errors import TrackDriveError
from leadflow.kit.outbound_urls import check_outbound_url, origin
from leadflow.kit.values import iso_time
from leadflow.models import Subscription, WebhookDelivery
from leadflow.models.base import new_uuid
from leadflow.offers.repository import OfferRepository
from leadflow.schedules.repository import ScheduleRepository
from leadflow.subscriptions.repository import SubscriptionRepository
from leadflow.subscriptions.schemas import SubscriptionCreate, SubscriptionUpdate
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


async def create_subscription(
    session: AsyncSession,
    company_id: int,
    body: SubscriptionCreate,
    now: datetime,
    allow_private: bool,
    allow_loopback: bool = False,
) -> Subscription:
    """A new subscription with a new signing secret (the caller shows it once)."""
    values = body.model_dump(exclude_none=True)
    await check_values(session, company_id, values, allow_private, allow_loopback)
    row = Subscription(
        company_id=company_id,
        secret=new_signing_secret(),
        created_at=now,
        updated_at=now,
        **values,
    )
    SubscriptionRepository(session, company_id).add(row)
    await flush_or_422(session)
    return row


async def update_subscription(
    session: AsyncSession,
    row: Subscription,
    body: SubscriptionUpdate,
    now: datetime,
    allow_private: bool,
    allow_loopback: bool = False,
) -> bool:
    """Apply the fields sent; True when the target moved to another origin, which gets a new
    signing secret (the caller shows it once): the old receiver's key never signs for it."""
    changes: dict[str, Any] = body.model_dump(exclude_unset=True)
    blank = sorted(name for name, value in changes.items() if value is None)
    if blank:
        raise TrackDriveError.invalid({name: ["can't be blank"] for name in blank})
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    await check_values(session, row.company_id, changes, allow_private, allow_loopback)
    moved = "target_url" in changes and origin(changes["target_url"]) != origin(row.target_url)
    for name, value in changes.items():
        setattr(row, name, value)
    row.updated_at = now
    if moved:
        row.secret = new_signing_secret()
    await flush_or_422(session)
    return moved


def queue_test_delivery(session: AsyncSession, row: Subscription, now: datetime) -> None:
    """A delivery of the subscription's event marked ``"test": true``, due now, whatever its
    trigger fields: the worker sends and signs it like any other, so the receiver and the
    delivery log show exactly what a real event would."""
    delivery_uuid = new_uuid()
    payload: dict[str, Any] = {
        "id": delivery_uuid,
        "event": row.event,
        "created_at": iso_time(now),
        "test": True,
        "data": {},
    }
    session.add(
        WebhookDelivery(
            uuid=delivery_uuid,
            company_id=row.company_id,
            subscription_id=row.id,
            event=row.event,
            payload=payload,
            status="pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
            updated_at=now,
        )
    )


def retry_delivery(delivery: WebhookDelivery, now: datetime) -> bool:
    """Make a failed delivery due again now (one more try; a delivered or pending one is left
    alone). Its attempt count goes on, so the log keeps every try in order."""
    if delivery.status != "failed":
        return False
    delivery.status = "pending"
    delivery.next_attempt_at = now
    delivery.updated_at = now
    return True
