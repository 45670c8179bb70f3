"""Settings → Webhooks: subscriptions (event, target, trigger fields, active), a test
delivery, and each subscription's delivery log with a retry for a failed delivery.

Creating and editing run the API's :class:`SubscriptionCreate`/:class:`SubscriptionUpdate` and
the subscriptions service (the outbound URL policy, trigger ids that must be the company's own,
a new signing secret when the target moves to another host); the log is the listing
``GET /api/v1/subscriptions/:id/deliveries`` answers. A signing secret is shown once, on the
answer to the POST that made it.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.datastructures import FormData
from starlette.responses import Response

from leadflow.db.session import SessionDep
from leadflow.kit import listing
from leadflow.kit.dependencies import ClockDep, SettingsDep
from leadflow.kit.errors import TrackDriveError
from leadflow.kit.listing import ListQuery
from leadflow.models import Subscription, WebhookDelivery
from leadflow.offers.repository import OfferRepository
from leadflow.schedules.repository import ScheduleRepository
from leadflow.subscriptions import service
from leadflow.subscriptions.deliveries import DELIVERY_LISTINGS
from leadflow.subscriptions.repository import SubscriptionRepository, WebhookDeliveryRepository
from leadflow.subscriptions.schemas import SubscriptionCreate, SubscriptionUpdate
from leadflow.traffic_sources.repository import TrafficSourceRepository
from leadflow.web.auth import CsrfDep, PageNotFoundError, UserDep, WebUser
from leadflow.web.form_errors import FieldErrors, from_trackdrive, from_validation
from leadflow.web.rendering import page, redirect
from leadflow.webhooks.events import EVENTS

router = APIRouter(include_in_schema=False)
# Trigger fields typed in (the others are picked from the company's rows).
TYPED_TRIGGERS = (
    ("status", "Status"),
    ("sub_id", "Sub ID"),
    ("buyer_id", "Buyer id"),
    ("campaign_id", "Campaign id"),
)
LOG_SIZE = 50
FLASH = {
    "saved": "The subscription is saved.",
    "tested": "A test delivery is queued: it appears in the log once the worker has sent it.",
    "retried": "The delivery is queued again.",
    "deleted": "The subscription is deleted.",
}


def _posted(form: FormData) -> dict[str, Any]:
    """The form as the API's JSON body; an empty trigger field is no filter."""
    triggers = {}
    for key, value in form.multi_items():
        if key.startswith("trigger_fields.") and isinstance(value, str) and value.strip():
            triggers[key.removeprefix("trigger_fields.")] = value.strip()
    return {
        "target_url": str(form.get("target_url") or "").strip(),
        "event": str(form.get("event") or ""),
        "trigger_fields": triggers,
        "active": form.get("active") == "on",
    }


async def _choices(db: SessionDep, user: WebUser) -> dict[str, Any]:
    return {
        "schedules": await ScheduleRepository(db, user.company_id).list(),
        "offers": await OfferRepository(db, user.company_id).list(),
        "traffic_sources": await TrafficSourceRepository(db, user.company_id).list(),
    }


async def _subscription(db: SessionDep, user: WebUser, ref: str) -> Subscription:
    row = await SubscriptionRepository(db, user.company_id).get(ref)
    if row is None:
        raise PageNotFoundError
    return row


async def _list_page(
    request: Request,
    user: WebUser,
    db: SessionDep,
    values: dict[str, Any] | None = None,
    errors: FieldErrors | None = None,
    flash: str | None = None,
) -> Response:
    return page(
        request,
        "settings/webhooks.html",
        status_code=422 if errors else 200,
        user=user,
        subscriptions=await SubscriptionRepository(db, user.company_id).list(),
        values=values or {"event": "new_lead", "active": True, "trigger_fields": {}},
        errors=errors or {},
        events=EVENTS,
        typed_triggers=TYPED_TRIGGERS,
        flash=flash,
        section="webhooks",
        **await _choices(db, user),
    )


async def _edit_page(
    request: Request,
    user: WebUser,
    db: SessionDep,
    row: Subscription,
    values: dict[str, Any] | None = None,
    errors: FieldErrors | None = None,
    flash: str | None = None,
) -> Response:
    query = ListQuery(page=1, per_page=LOG_SIZE, order="id", order_dir="desc")
    base = WebhookDeliveryRepository(db, user.company_id).of_subscription(row.id)
    spec = DELIVERY_LISTINGS[db.get_bind().dialect.name]
    log = await listing.fetch(db, spec, query, base)
    shown = values or {
        "target_url": row.target_url,
        "event": row.event,
        "trigger_fields": dict(row.trigger_fields or {}),
        "active": row.active,
    }
    return page(
        request,
        "settings/webhook_edit.html",
        status_code=422 if errors else 200,
        user=user,
        row=row,
        values=shown,
        errors=errors or {},
        deliveries=log.items,
        events=EVENTS,
        typed_triggers=TYPED_TRIGGERS,
        flash=flash,
        section="webhooks",
        **await _choices(db, user),
    )


def _secret_page(request: Request, user: WebUser, row: Subscription, heading: str) -> Response:
    return page(
        request,
        "settings/webhook_secret.html",
        status_code=201 if heading.startswith("Subscription created") else 200,
        user=user,
        row=row,
        heading=heading,
        section="webhooks",
    )


@router.get("/settings/webhooks")
async def webhooks(request: Request, user: UserDep, db: SessionDep, done: str = "") -> Response:
    return await _list_page(request, user, db, flash=FLASH.get(done))


@router.post("/settings/webhooks")
async def create_webhook(
    request: Request,
    user: UserDep,
    form: CsrfDep,
    db: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
) -> Response:
    raw = _posted(form)
    try:
        body = SubscriptionCreate.model_validate(raw)
        row = await service.create_subscription(
            db,
            user.company_id,
            body,
            clock.now(),
            settings.allow_private_urls,
            settings.allow_loopback_urls,
        )
    except ValidationError as exc:
        return await _list_page(request, user, db, raw, from_validation(exc))
    except TrackDriveError as exc:
        return await _list_page(request, user, db, raw, from_trackdrive(exc))
    return _secret_page(request, user, row, "Subscription created")


@router.get("/settings/webhooks/{subscription_id}")
async def edit_webhook(
    request: Request, subscription_id: str, user: UserDep, db: SessionDep, done: str = ""
) -> Response:
    row = await _subscription(db, user, subscription_id)
    return await _edit_page(request, user, db, row, flash=FLASH.get(done))


@router.post("/settings/webhooks/{subscription_id}")
async def update_webhook(
    request: Request,
    subscription_id: str,
    user: UserDep,
    form: CsrfDep,
    db: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
) -> Response:
    row = await _subscription(db, user, subscription_id)
    raw = _posted(form)
    try:
        body = SubscriptionUpdate.model_validate(raw)
        moved = await service.update_subscription(
            db, row, body, clock.now(), settings.allow_private_urls, settings.allow_loopback_urls
        )
    except ValidationError as exc:
        return await _edit_page(request, user, db, row, raw, from_validation(exc))
    except TrackDriveError as exc:
        # Nothing of a refused change may be committed at the edge.
        await db.rollback()
        row = await _subscription(db, user, subscription_id)
        return await _edit_page(request, user, db, row, raw, from_trackdrive(exc))
    if moved:
        return _secret_page(request, user, row, "Subscription moved to a new host")
    return redirect(request, f"/settings/webhooks/{row.id}?done=saved")


@router.post("/settings/webhooks/{subscription_id}/test")
async def test_webhook(
    request: Request,
    subscription_id: str,
    user: UserDep,
    form: CsrfDep,
    db: SessionDep,
    clock: ClockDep,
) -> Response:
    row = await _subscription(db, user, subscription_id)
    service.queue_test_delivery(db, row, clock.now())
    return redirect(request, f"/settings/webhooks/{row.id}?done=tested")


@router.post("/settings/webhooks/{subscription_id}/deliveries/{delivery_id}/retry")
async def retry_webhook_delivery(
    request: Request,
    subscription_id: str,
    delivery_id: str,
    user: UserDep,
    form: CsrfDep,
    db: SessionDep,
    clock: ClockDep,
) -> Response:
    row = await _subscription(db, user, subscription_id)
    delivery: WebhookDelivery | None = await WebhookDeliveryRepository(db, user.company_id).get(
        delivery_id
    )
    if delivery is None or delivery.subscription_id != row.id:
        raise PageNotFoundError
    service.retry_delivery(delivery, clock.now())
    return redirect(request, f"/settings/webhooks/{row.id}?done=retried")


@router.get("/settings/webhooks/{subscription_id}/delete")
async def confirm_delete(
    request: Request, subscription_id: str, user: UserDep, db: SessionDep
) -> Response:
    row = await _subscription(db, user, subscription_id)
    return page(request, "settings/webhook_delete.html", user=user, row=row, section="webhooks")


@router.post("/settings/webhooks/{subscription_id}/delete")
async def delete_webhook(
    request: Request, subscription_id: str, user: UserDep, form: CsrfDep, db: SessionDep
) -> Response:
    row = await _subscription(db, user, subscription_id)
    await SubscriptionRepository(db, user.company_id).delete(row)
    return redirect(request, "/settings/webhooks?done=deleted")
