"""A schedule's webhook action reads no more of its URL's answer than
``LEADFLOW_DELIVERY_MAX_ANSWER_BYTES``: an answer that never ends fails the action, on the
lead's timeline, with an error naming the cap, and the worker goes on."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import select

from leadflow.app_state import state_of
from leadflow.models import LeadEvent
from leadflow.settings import Settings
from tests.cadence.conftest import Cadence
from tests.support.raw_http import GUARD_SECONDS, endless_chunks, raw_server

CAP = 65_536


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        embedded_worker=False,
        db_pool_size=5,
        allow_loopback_urls=True,
        delivery_max_answer_bytes=CAP,
    )


async def last_event(cadence: Cadence, lead_id: int) -> tuple[str, dict[str, Any]]:
    async with state_of(cadence.app).sessionmaker() as session:
        event = await session.scalar(
            select(LeadEvent)
            .where(LeadEvent.lead_id == lead_id)
            .order_by(LeadEvent.id.desc())
            .limit(1)
        )
        assert event is not None
        return event.kind, event.data


async def test_a_never_ending_answer_fails_the_action_naming_the_cap(cadence: Cadence) -> None:
    async with raw_server(endless_chunks) as target:
        schedule = await cadence.schedule([{"type": "webhook", "url": target.url("/hook")}])
        posted = await cadence.post_lead(schedule)

        async with asyncio.timeout(GUARD_SECONDS):
            await cadence.work()
            await target.hung_up.wait()

    kind, data = await last_event(cadence, posted["id"])
    assert kind == "webhook_failed"
    assert data["status"] == "failed"
    assert data["error"] == (
        "AnswerTooLargeError: the answer (HTTP 200) is larger than "
        f"LEADFLOW_DELIVERY_MAX_ANSWER_BYTES ({CAP} bytes); not read further, connection closed"
    )
    assert target.requests == 1  # an action is sent once, never retried
