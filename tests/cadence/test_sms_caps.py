"""A number gets at most ``sms_daily_cap_per_contact`` texts a day and
``sms_monthly_cap_per_contact`` a calendar month (the company's); a text over a cap is
skipped with ``sms_capped`` on the lead's timeline and the schedule goes on. The clock starts
Monday 2026-01-05 15:00 UTC (10:00 in New York, the company's zone)."""

from __future__ import annotations

import pytest

from leadflow.clock import FrozenClock
from leadflow.settings import Settings
from tests.cadence.conftest import Cadence

DAILY_CAP = 1
MONTHLY_CAP = 2


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        embedded_worker=False,
        db_pool_size=5,
        sms_daily_cap_per_contact=DAILY_CAP,
        sms_monthly_cap_per_contact=MONTHLY_CAP,
    )


async def test_a_second_text_the_same_day_is_skipped_and_the_next_day_sent(
    cadence: Cadence, clock: FrozenClock
) -> None:
    schedule = await cadence.schedule(
        [
            {"type": "sms", "body": "first"},
            {"type": "wait", "hours": 1},
            {"type": "sms", "body": "same day"},
            {"type": "wait", "days": 1},
            {"type": "sms", "body": "next day"},
        ]
    )
    posted = await cadence.post_lead(schedule)

    await cadence.work()
    clock.advance(hours=1)
    await cadence.work()
    assert [sms.body for sms in cadence.sms.sent] == ["first"]
    assert (await cadence.timeline(posted["id"]))[-1] == "sms_capped"

    clock.advance(days=1)
    await cadence.work()
    assert [sms.body for sms in cadence.sms.sent] == ["first", "next day"]
    assert [m.body for m in await cadence.messages(posted["id"])] == ["first", "next day"]


async def test_texts_over_the_monthly_cap_are_skipped_and_the_schedule_goes_on(
    cadence: Cadence, clock: FrozenClock
) -> None:
    schedule = await cadence.schedule(
        [
            {"type": "sms", "body": "one"},
            {"type": "wait", "days": 1},
            {"type": "sms", "body": "two"},
            {"type": "wait", "days": 1},
            {"type": "sms", "body": "three"},
            {"type": "call"},
        ]
    )
    posted = await cadence.post_lead(schedule)

    await cadence.work()
    for _ in range(2):
        clock.advance(days=1)
        await cadence.work()

    assert [sms.body for sms in cadence.sms.sent] == ["one", "two"]
    assert len(cadence.voice.sent) == 1
    timeline = await cadence.timeline(posted["id"])
    assert timeline.count("sms_capped") == 1
    assert timeline.index("sms_capped") < timeline.index("call_placed")


async def test_texts_to_other_numbers_are_not_counted(cadence: Cadence) -> None:
    schedule = await cadence.schedule([{"type": "sms", "body": "hello"}])
    for caller_id in ("+12125550123", "+12125550124"):
        await cadence.post_lead(schedule, caller_id=caller_id)

    await cadence.work()

    assert sorted(sms.to for sms in cadence.sms.sent) == ["+12125550123", "+12125550124"]
