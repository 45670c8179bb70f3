"""A marketer imports a CSV file in a real browser against a real ``leadflow serve`` (whose
worker imports it): upload, preview, map the columns, start, watch it finish, find the leads,
and export them again from the leads list."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from tests.support.browser import BrowserServer, screenshot, show, sign_in

playwright = pytest.importorskip("playwright.sync_api")

pytestmark = pytest.mark.slow

ROWS = ["Phone;First Name;Notes", '(202) 555-0101;Ann;"two\nlines"', "(202) 555-0102;Bob;"]
FILE = "\n".join([*ROWS, "not a phone;Cy;", ""])


def test_a_marketer_uploads_a_csv_maps_its_columns_and_sees_the_leads(
    chromium: Path, browser_server: BrowserServer, tmp_path: Path
) -> None:
    base = browser_server.base_url
    upload = tmp_path / "spring leads.csv"
    upload.write_bytes(FILE.encode("utf-8-sig"))
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=str(chromium), headless=True)
        page = browser.new_page()
        page.set_default_timeout(20_000)
        sign_in(page, base)
        page.goto(f"{base}/offers/new")
        page.get_by_label("Name").fill("Solar")
        page.get_by_role("button", name="Save offer").click()
        page.wait_for_url(f"{base}/offers")
        page.goto(f"{base}/schedules/new")
        page.get_by_label("Name").fill("Imported leads")
        page.get_by_label("Offer").select_option(label="Solar")
        page.get_by_role("button", name="Create schedule").click()
        page.wait_for_url("**/edit")

        show(page, f"{base}/imports", "import-01-upload")
        page.get_by_label("CSV file").set_input_files(str(upload))
        page.get_by_role("button", name="Upload and preview").click()
        page.wait_for_url(f"{base}/imports/*")
        assert page.get_by_role("cell", name="(202) 555-0101").is_visible()
        assert page.get_by_text("UTF-8 (with BOM), separated by “;”").is_visible()
        show(page, page.url, "import-02-map")
        assert page.get_by_label("Column “Phone”").input_value() == "caller_id"
        page.get_by_label("Column “Notes”").select_option("skip")
        page.get_by_label("Schedule or offer").select_option(label="Schedule: Imported leads")
        page.get_by_role("button", name="Start the import").click()
        page.get_by_text("Done: 2 leads imported, 1 row rejected.").wait_for()
        screenshot(page, "import-03-done")
        link = page.get_by_role("link", name="Download the rejected rows")
        errors = page.request.get(base + str(link.get_attribute("href")))
        rows = list(csv.reader(io.StringIO(errors.text())))
        assert rows[0] == ["row", "error", "Phone", "First Name", "Notes"]
        # Row 4 as a spreadsheet shows it: the quoted newline keeps Ann on row 2.
        assert rows[1][0] == "4"
        assert rows[1][1].startswith("caller_id: ")

        page.get_by_role("link", name="See the leads").click()
        assert page.get_by_role("cell", name="+12025550101").is_visible()
        assert page.get_by_role("cell", name="+12025550102").is_visible()
        href = page.get_by_role("link", name="Export these leads as CSV").get_attribute("href")
        exported = list(csv.DictReader(io.StringIO(page.request.get(f"{base}{href}").text())))
        assert sorted(row["caller_id"] for row in exported) == ["+12025550101", "+12025550102"]
        assert {row["first_name"] for row in exported} == {"Ann", "Bob"}
        assert "notes" not in exported[0]
        browser.close()
