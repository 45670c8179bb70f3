"""The Reports page when the report asked for cannot be made: the page says why, over today's
totals, as it does for a bad range, rather than answering the API's JSON error."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.reports.conftest import Shop
from tests.web.conftest import (  # noqa: F401  (fixtures)
    browser,
    make_person,
    settings,
    sign_in,
)


async def test_too_many_groups_are_explained_on_the_page(
    shop: Shop,
    app: FastAPI,
    browser: httpx.AsyncClient,  # noqa: F811  (the fixture imported above)
) -> None:
    for n in range(12):
        await shop.post(f"+171931326{n:02d}", sub_id=f"s{n}")
    assert (await sign_in(browser, await make_person(app, shop.tenant))).status_code == 303

    # A year by hour, for each of 12 sub IDs: 106,560 rows.
    year_by_hour = {"from": "2025-01-01", "to": "2026-01-05", "group_by": "hour"}
    answer = await browser.get(
        "/reports", params={"preset": "custom", **year_by_hour, "then_by": "sub_id"}
    )

    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("text/html")
    assert "more than 100000 groups; narrow the range or the grouping" in answer.text
    assert "showing today instead" in answer.text
    assert '<td data-label="Leads">12</td>' in answer.text  # today's totals
