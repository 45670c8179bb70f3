"""The worker forgets duplicate locks once their campaign's window has passed, and keeps the
ones that still turn a lead away."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from leadflow.app_state import state_of
from leadflow.models import TimeLock
from leadflow.submissions.pipeline.housekeeping import PruneDuplicateLocks
from tests.submissions.pipeline.buyer import Buyer
from tests.submissions.pipeline.conftest import ACCEPTED_JSON, Pipeline, json_endpoint


async def locks(pipeline: Pipeline) -> set[tuple[str, str]]:
    async with state_of(pipeline.app).sessionmaker() as session:
        return {(r.scope, r.key) for r in await session.scalars(select(TimeLock))}


async def test_passed_windows_are_forgotten_live_ones_kept(
    pipeline: Pipeline, buyer: Buyer
) -> None:
    endpoint = json_endpoint(buyer.on("/buy", ACCEPTED_JSON))
    short = await pipeline.campaign(endpoint=endpoint, window_days=2)
    long = await pipeline.campaign(endpoint=endpoint, window_days=30)
    switched_off = await pipeline.campaign(endpoint=endpoint, window_days=30)
    for campaign in (short, long, switched_off):
        await pipeline.submit(campaign)
    await pipeline.work()
    await pipeline.set_campaign(switched_off, duplicate_window_days=0)
    now = pipeline.clock.now()
    async with state_of(pipeline.app).sessionmaker() as session:
        session.add_all(
            [
                TimeLock(scope="dedupe:987654", key="phone:12125550123", taken_at=now),
                TimeLock(scope="dial:1", key="+12125550123", taken_at=now - timedelta(days=9)),
            ]
        )
        await session.commit()
    pipeline.clock.advance(days=2, seconds=1)

    assert await PruneDuplicateLocks()(state_of(pipeline.app).worker_context) == 0

    assert await locks(pipeline) == {
        (f"dedupe:{long.id}", "phone:12125550123"),
        ("dial:1", "+12125550123"),  # make_call's own job prunes these
    }
    again_short = await pipeline.submit(short)
    again_long = await pipeline.submit(long)
    await pipeline.work()
    assert (await pipeline.submission(again_short)).status == "delivered"
    assert (await pipeline.submission(again_long)).status == "duplicate"


async def test_a_window_being_shortened_frees_its_old_keys(
    pipeline: Pipeline, buyer: Buyer
) -> None:
    campaign = await pipeline.campaign(
        endpoint=json_endpoint(buyer.on("/buy", ACCEPTED_JSON)), window_days=30
    )
    await pipeline.submit(campaign)
    await pipeline.work()
    pipeline.clock.advance(days=5)
    await pipeline.set_campaign(campaign, duplicate_window_days=3)

    await PruneDuplicateLocks()(state_of(pipeline.app).worker_context)

    assert await locks(pipeline) == set()
