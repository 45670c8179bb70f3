"""The Reports page and the dashboard's chart in a real browser, at a phone's and a laptop's
width: presets, the table with totals, sorting, drilling from a traffic source into its sub
IDs, both charts, the CSV of what is shown. Screenshots under var/test-artifacts/web/."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from leadflow.db.engine import create_engine, make_sessionmaker
from leadflow.models import Call, Lead, Offer, TrafficSource
from tests.support.browser import LAPTOP, PHONE, BrowserServer, show, sign_in

playwright = pytest.importorskip("playwright.sync_api")

pytestmark = pytest.mark.slow


LONG_NAME = "Facebook - Spring lookalike audience 3 % - United States - mobile only, retargeted"


async def _seed(database_url: str, company_id: int, first: str = "Google", big: int = 0) -> None:
    """Leads from two publishers (the first's over two sub IDs) and calls with revenue (``big``
    more cents on the first's last call), now."""
    engine = create_engine(database_url, 1)
    now = datetime.now(UTC) - timedelta(minutes=1)
    stamps = {"created_at": now, "updated_at": now}
    try:
        async with make_sessionmaker(engine)() as session:
            offer = Offer(company_id=company_id, name="Auto", leads_api_key="k" * 32, **stamps)
            google = TrafficSource(company_id=company_id, name=first, **stamps)
            bing = TrafficSource(company_id=company_id, name="Bing", **stamps)
            session.add_all([offer, google, bing])
            await session.flush()
            for n, (source, sub, revenue) in enumerate(
                [
                    (google, "spring", 1250),
                    (google, "spring", 0),
                    (google, "summer", 4000 + big),
                    (bing, None, 300),
                ]
            ):
                lead = Lead(
                    company_id=company_id,
                    offer_id=offer.id,
                    traffic_source_id=source.id,
                    sub_id=sub,
                    caller_id=f"+1719313260{n}",
                    tokens={},
                    **stamps,
                )
                session.add(lead)
                await session.flush()
                session.add(
                    Call(
                        company_id=company_id,
                        lead_id=lead.id,
                        offer_id=offer.id,
                        traffic_source_id=source.id,
                        to_number=lead.caller_id or "",
                        revenue_cents=revenue,
                        **stamps,
                    )
                )
            await session.commit()
    finally:
        await engine.dispose()


# Each chart's labels that leave their drawing, and its pairs of labels that overlap.
CLIPPED_AND_OVERLAPPING = """() => [...document.querySelectorAll("svg.chart")].map(svg => {
  const box = svg.getBoundingClientRect();
  const texts = [...svg.querySelectorAll("text")].map(t => [t.textContent,
                                                            t.getBoundingClientRect()]);
  const clipped = texts.filter(([, r]) => r.left < box.left - 1 || r.right > box.right + 1
                                       || r.top < box.top - 1 || r.bottom > box.bottom + 1)
                       .map(([label]) => label);
  const overlapping = [];
  texts.forEach(([a, ra], i) => texts.slice(i + 1).forEach(([b, rb]) => {
    if (ra.left < rb.right - 1 && rb.left < ra.right - 1 && ra.top < rb.bottom - 1
        && rb.top < ra.bottom - 1) overlapping.push(a + " / " + b);
  }));
  return {clipped, overlapping};
})"""


def _charts_read_whole(page: Any, url: str) -> None:
    """Every label of every chart inside its drawing and clear of the others, at a phone's
    width and a laptop's."""
    for size in (PHONE, LAPTOP):
        page.set_viewport_size(size)
        page.goto(url)
        charts = page.evaluate(CLIPPED_AND_OVERLAPPING)
        assert charts, url
        for chart in charts:
            assert chart == {"clipped": [], "overlapping": []}, (url, size)


def test_a_marketer_reads_money_by_publisher_and_drills_into_sub_ids(
    chromium: Path, browser_server: BrowserServer
) -> None:
    asyncio.run(_seed(browser_server.database_url, browser_server.company_id))
    base = browser_server.base_url
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=str(chromium), headless=True)
        context = browser.new_context()
        page = context.new_page()
        page.set_default_timeout(15_000)
        sign_in(page, base)

        show(page, f"{base}/", "dashboard-chart")
        assert page.locator("svg.chart title").first.text_content() == "Leads per day, last 7 days"
        _charts_read_whole(page, f"{base}/")
        _charts_read_whole(page, f"{base}/reports?preset=today&group_by=traffic_source")
        _charts_read_whole(page, f"{base}/reports?preset=this_month&group_by=day")

        show(page, f"{base}/reports?preset=today&group_by=traffic_source", "reports")
        table = page.locator("table.report")
        assert table.locator("tbody tr").count() == 2
        assert "$55.50" in table.locator("tfoot").inner_text()
        assert page.locator("svg.chart").count() == 2  # the series and the bars

        page.get_by_role("link", name="Revenue").click()
        rows = table.locator("tbody tr")
        assert rows.first.inner_text().startswith("Google")
        page.get_by_role("link", name="Revenue").click()  # again: ascending
        assert table.locator("tbody tr").first.inner_text().startswith("Bing")
        assert table.locator("th[aria-sort]").inner_text() == "Revenue ▲"
        table.get_by_role("link", name="Traffic source").click()  # a dimension sorts too
        assert table.locator("th[aria-sort=descending]").inner_text() == "Traffic source ▼"
        assert table.locator("tbody tr").first.inner_text().startswith("Google")

        page.get_by_role("link", name="Google").click()
        assert "group_by=sub_id" in page.url
        show(page, page.url, "reports-sub-ids")
        subs = [r.split("\t")[0] for r in table.locator("tbody tr").all_inner_texts()]
        assert sorted(subs) == ["spring", "summer"]

        csv_href = page.get_by_role("link", name="Download CSV").get_attribute("href")
        answer = context.request.get(f"{base}{csv_href}")
        assert answer.headers["content-type"].startswith("text/csv")
        lines = answer.text().splitlines()
        assert lines[0].startswith("sub_id,leads")
        assert len(lines) == 3

        # Dates typed in, the preset left at Today: the dates are what is shown.
        two_days_ago = (datetime.now(UTC) - timedelta(days=2)).date().isoformat()
        page.goto(f"{base}/reports?preset=today&group_by=traffic_source")
        page.fill("input[name=from]", two_days_ago)
        page.get_by_role("button", name="Show").click()
        assert page.locator("select[name=preset]").input_value() == "custom"
        assert page.locator("input[name=from]").input_value() == two_days_ago
        assert page.locator("table.report tbody tr").count() == 2  # today's leads still in

        page.select_option("select[name=preset]", "last_7_days")
        page.select_option("select[name=group_by]", "day")
        page.get_by_role("button", name="Show").click()
        assert page.locator("table.report tbody tr").count() == 7  # zero-filled days
        browser.close()


def test_a_long_name_and_a_big_amount_stay_inside_the_bar_chart(
    chromium: Path, browser_server: BrowserServer
) -> None:
    asyncio.run(
        _seed(browser_server.database_url, browser_server.company_id, LONG_NAME, 12_345_678_00)
    )
    base = browser_server.base_url
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=str(chromium), headless=True)
        page = browser.new_context().new_page()
        page.set_default_timeout(15_000)
        sign_in(page, base)

        url = f"{base}/reports?preset=today&group_by=traffic_source&order=revenue"
        show(page, url, "reports-long-name")
        _charts_read_whole(page, url)
        tooltip = page.locator("svg.chart g title").first.text_content()
        assert tooltip == f"{LONG_NAME}: $12,345,730.50"  # the whole name on hover
        browser.close()
