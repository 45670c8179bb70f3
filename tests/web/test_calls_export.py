"""The web app's "Export" on the call log: every call its filters match, not only the page
shown, as CSV (the API's ``format=csv`` export)."""

from __future__ import annotations

import csv
import html
import io
import re

import httpx

from tests.calls.seed import Calls
from tests.factories import Factory
from tests.web.conftest import Person


async def test_export_link_downloads_every_call_the_log_filters_match(
    browser: httpx.AsyncClient, signed_in: Person, factory: Factory
) -> None:
    seed = Calls(factory, browser)
    tenant = signed_in.tenant
    for n in range(30):
        await seed.call(tenant, to_number=f"+1312555{n:04d}", status="busy", tokens={"n": n})
    await seed.call(tenant, to_number="+17193132645", status="completed")
    await seed.call(await factory.tenant(), to_number="+14155550100", status="busy")
    log = await browser.get("/calls", params={"status": "busy"})
    assert "30 calls." in log.text
    found = re.search(r'href="(/calls/export\.csv\?[^"]*)"', log.text)
    assert found, "the call log has no Export link"
    href = html.unescape(found.group(1))
    answer = await browser.get(href)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    exported = list(csv.DictReader(io.StringIO(answer.text)))
    assert sorted(row["to"] for row in exported) == [f"+1312555{n:04d}" for n in range(30)]
    assert {row["status"] for row in exported} == {"busy"}
    assert sorted(int(row["n"]) for row in exported) == list(range(30))
    everything = await browser.get("/calls/export.csv")
    assert len(list(csv.DictReader(io.StringIO(everything.text)))) == 31
