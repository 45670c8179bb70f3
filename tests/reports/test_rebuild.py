"""``leadflow reports rebuild``: counters lost or damaged are recounted from the rows."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI
from sqlalchemy import text

from leadflow.app_state import state_of
from leadflow.reports.rebuild import rebuild
from leadflow.settings import Settings
from tests.reports.conftest import Shop
from tests.support.cli import run_leadflow

EVERYTHING = {"group_by": "hour,traffic_source,sub_id,schedule,campaign,buyer,state"}


async def _seed(shop: Shop) -> None:
    first = await shop.post("+17193132601", traffic_source_id=shop.google.id, sub_id="s1",
                            state="Texas")  # fmt: skip
    await shop.post("+17193132602", traffic_source_id=shop.bing.id)
    await shop.post("+17193132601", traffic_source_id=shop.google.id, sub_id="s1")
    await shop.call(first["id"], revenue_cents=1250, payout_cents=400,
                    answered_at=datetime(2026, 1, 5, 15, tzinfo=UTC))  # fmt: skip
    await shop.call(None, revenue_cents=99)
    campaign = await shop.campaign("auto")
    await shop.submission(campaign, "delivered", "https://buyer.example/in")
    await shop.submission(campaign, "rejected", data={"address": {"state": "CO"}})


async def _damage(app: FastAPI) -> None:
    async with state_of(app).sessionmaker() as session:
        await session.execute(text("UPDATE report_counters SET leads = leads + 7, calls = 0"))
        await session.execute(text("DELETE FROM report_counters WHERE campaign_id <> 0"))
        await session.commit()


async def test_rebuild_recounts_damaged_counters(shop: Shop, app: FastAPI) -> None:
    await _seed(shop)
    before: dict[str, Any] = await shop.report(**EVERYTHING)
    await _damage(app)
    assert (await shop.report(**EVERYTHING))["report"] != before["report"]

    steps: list[str] = []
    assert await rebuild(state_of(app).sessionmaker, advance=steps.append) >= 1

    assert (await shop.report(**EVERYTHING))["report"] == before["report"]
    assert "calls" in steps


async def test_the_command_rebuilds_with_a_progress_bar(
    shop: Shop, app: FastAPI, settings: Settings
) -> None:
    await _seed(shop)
    before: dict[str, Any] = await shop.report(**EVERYTHING)
    await _damage(app)

    result = run_leadflow(settings.database_url, "reports", "rebuild")

    assert "report counters rebuilt for 1 company" in result.stdout
    assert (await shop.report(**EVERYTHING))["report"] == before["report"]


async def test_rebuild_recounts_a_damaged_roll_up(shop: Shop, app: FastAPI) -> None:
    """A time series with no attribution reads the hourly roll-up (``report_totals``); a
    rebuild recounts it too."""
    await _seed(shop)
    series = {"group_by": "hour,status"}
    before: dict[str, Any] = await shop.report(**series)
    async with state_of(app).sessionmaker() as session:
        await session.execute(text("UPDATE report_totals SET leads = leads + 5, calls = 0"))
        await session.commit()
    assert (await shop.report(**series))["report"] != before["report"]

    await rebuild(state_of(app).sessionmaker)

    assert (await shop.report(**series))["report"] == before["report"]


async def test_the_command_refuses_a_company_that_is_not_there(
    shop: Shop, settings: Settings
) -> None:
    result = run_leadflow(
        settings.database_url, "reports", "rebuild", "--company", "9999", expect_success=False
    )

    assert result.returncode == 2
    assert "no company has the id 9999" in result.stderr
