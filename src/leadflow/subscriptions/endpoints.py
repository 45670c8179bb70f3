"""`/api/v1/subscriptions`: webhook subscriptions of a company.

Listing, showing and deleting are the generic CRUD routes. Creating and updating are written
here because they need what a generic rule cannot see: the operator's outbound URL policy
(``Settings.allow_private_urls``) and, on create only, an answer that shows the signing
secret once. ``/{ref}/deliveries`` lists what was sent to a subscription, with each attempt.
"""

from typing import Annotated

from fastapi import APIRouter, Body, Depends
from fastapi.routing import APIRoute
from sqlalchemy import select
from starlette.responses import Response

from leadflow.db.session import SessionDep
from leadflow.kit import envelope, listing
from leadflow.kit.auth import READ, WRITE, Principal, require
from leadflow.kit.crud import Resource, crud_router
from leadflow.kit.dependencies import ClockDep, SettingsDep
from leadflow.kit.errors import TrackDriveError
from leadflow.kit.fulltext import TextColumns
from leadflow.kit.listing import ListQueryDep, ListSpec, text_filter
from leadflow.models import Subscription, WebhookDelivery
from leadflow.subscriptions import service
from leadflow.subscriptions.deliveries import DELIVERY_LISTINGS, WebhookDeliveryOut
from leadflow.subscriptions.repository import SubscriptionRepository
from leadflow.subscriptions.schemas import (
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionOut,
    SubscriptionUpdate,
)

RESOURCE = Resource(
    name="subscriptions",
    root="subscription",
    roots="subscriptions",
    repository=SubscriptionRepository,
    create=SubscriptionCreate,
    update=SubscriptionUpdate,
    out=SubscriptionOut,
    listing=ListSpec(
        model=Subscription,
        serializers={"subscription": SubscriptionOut},
        sortable=("id", "event", "target_url", "created_at", "updated_at"),
        fulltext=TextColumns(("target_url", "event")),
        filters={"event": text_filter("event")},
    ),
)
WRITTEN_HERE = {("", "POST"), ("/{ref}", "PUT")}
Writer = Annotated[Principal, Depends(require(RESOURCE.name, WRITE))]
Reader = Annotated[Principal, Depends(require(RESOURCE.name, READ))]

router = APIRouter(prefix=f"/api/v1/{RESOURCE.name}", tags=[RESOURCE.name])


@router.post(
    "",
    summary="Create a subscription (the answer shows its signing secret, once)",
    **envelope.documented(RESOURCE.root, SubscriptionCreated),
)
async def create_subscription(
    body: Annotated[SubscriptionCreate, Body()],
    principal: Writer,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
) -> Response:
    row = await service.create_subscription(
        session,
        principal.company_id,
        body,
        clock.now(),
        settings.allow_private_urls,
        settings.allow_loopback_urls,
    )
    return envelope.one(RESOURCE.root, SubscriptionCreated.model_validate(row))


@router.put(
    "/{ref}",
    summary="Update a subscription (a new host gets a new signing secret, shown once)",
    **envelope.documented(RESOURCE.root, SubscriptionOut),
)
async def update_subscription(
    ref: str,
    body: Annotated[SubscriptionUpdate, Body()],
    principal: Writer,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
) -> Response:
    row = await SubscriptionRepository(session, principal.company_id).get(ref)
    if row is None:
        raise TrackDriveError.not_found("subscription")
    moved = await service.update_subscription(
        session,
        row,
        body,
        clock.now(),
        settings.allow_private_urls,
        settings.allow_loopback_urls,
    )
    shown = SubscriptionCreated if moved else SubscriptionOut
    return envelope.one(RESOURCE.root, shown.model_validate(row))


@router.get(
    "/{ref}/deliveries",
    summary="List a subscription's deliveries, each with its attempts",
    **envelope.documented(
        "webhook_deliveries", listing.listed_item(WebhookDeliveryOut), plural=True
    ),
)
async def list_deliveries(
    ref: str, principal: Reader, session: SessionDep, query: ListQueryDep
) -> Response:
    subscription = await SubscriptionRepository(session, principal.company_id).get(ref)
    if subscription is None:
        raise TrackDriveError.not_found("subscription")
    spec = DELIVERY_LISTINGS[session.get_bind().dialect.name]
    base = select(WebhookDelivery).where(
        WebhookDelivery.company_id == principal.company_id,
        WebhookDelivery.subscription_id == subscription.id,
    )
    page = await listing.fetch(session, spec, query, base)
    return envelope.many("webhook_deliveries", page.items, page.metadata)


def _generic(route: object) -> bool:
    if not isinstance(route, APIRoute):
        return True
    path = route.path.removeprefix(router.prefix)
    return not any((path, method) in WRITTEN_HERE for method in route.methods or ())


router.routes.extend(route for route in crud_router(RESOURCE).routes if _generic(route))
