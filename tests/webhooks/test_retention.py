"""Old webhook deliveries are forgotten (by retention's job, :mod:`leadflow.ops.retention`);
pending ones and recent ones never are."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from leadflow.app_state import state_of
from leadflow.clock import FrozenClock
from leadflow.models import WebhookAttempt, WebhookDelivery
from leadflow.ops.retention import PruneHistory
from tests.webhooks.conftest import Hooks
from tests.webhooks.receiver import Receiver


async def test_settled_deliveries_older_than_the_retention_are_deleted_with_their_attempts(
    hooks: Hooks, receiver: Receiver, clock: FrozenClock
) -> None:
    subscription = await hooks.subscribe(receiver.url())
    for caller in ("+17193132601", "+17193132602", "+17193132603", "+17193132604"):
        await hooks.post_lead(caller_id=caller)
    assert await hooks.deliver() == 4
    async with state_of(hooks.app).sessionmaker() as session:
        ids = list(await session.scalars(select(WebhookDelivery.id).order_by(WebhookDelivery.id)))
        old = clock.now() - timedelta(days=31)
        recent = clock.now() - timedelta(days=29)
        states = {ids[0]: ("delivered", old), ids[1]: ("failed", old)}
        states |= {ids[2]: ("pending", old), ids[3]: ("delivered", recent)}
        for delivery_id, (status, at) in states.items():
            await session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id == delivery_id)
                .values(status=status, updated_at=at)
            )
        await session.commit()

    assert await PruneHistory()(state_of(hooks.app).worker_context) == 0

    kept = await hooks.deliveries(subscription["id"])
    assert sorted(d["status"] for d in kept) == ["delivered", "pending"]
    async with state_of(hooks.app).sessionmaker() as session:
        remaining = set(await session.scalars(select(WebhookDelivery.id)))
        attempts_of = set(await session.scalars(select(WebhookAttempt.delivery_id)))
    assert remaining == {ids[2], ids[3]}
    assert attempts_of <= remaining, "the deleted deliveries' attempts went with them"


async def test_a_retention_of_zero_days_keeps_everything(
    hooks: Hooks, receiver: Receiver, clock: FrozenClock
) -> None:
    await hooks.subscribe(receiver.url())
    await hooks.post_lead()
    await hooks.deliver()
    clock.advance(days=400)
    context = state_of(hooks.app).worker_context
    context.settings = context.settings.model_copy(update={"webhook_retention_days": 0})

    await PruneHistory()(context)

    assert await hooks.delivery_count() == 1
