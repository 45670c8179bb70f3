"""The web app's "Export" on /submissions: every submitted lead the list's filters match, as
CSV (the API's ``format=csv`` export)."""

from __future__ import annotations

import csv
import html
import io
import re

import httpx

from tests.submissions.api.conftest import api_key, lead
from tests.web.conftest import Person


async def test_export_link_downloads_the_current_filter(
    browser: httpx.AsyncClient, signed_in: Person
) -> None:
    headers = api_key(signed_in.tenant)
    body = {"name": "Auto", "code": "auto"}
    assert (await browser.post("/api/v1/campaigns", json=body, headers=headers)).status_code == 201
    for name in ("alice", "bob"):
        sent = await browser.post(
            "/api/v1/leads/submit", json=lead(firstName=name), headers=headers
        )
        assert sent.status_code == 200, sent.text
    listed = await browser.get("/submissions", params={"q": "alice"})
    found = re.search(r'href="(/submissions/export\.csv\?[^"]*)"', listed.text)
    assert found, "the list has no Export link"
    href = html.unescape(found.group(1))
    assert "q=alice" in href
    answer = await browser.get(href)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    exported = list(csv.DictReader(io.StringIO(answer.text)))
    assert [row["firstName"] for row in exported] == ["Alice"]
    everything = await browser.get("/submissions/export.csv")
    assert sorted(r["firstName"] for r in csv.DictReader(io.StringIO(everything.text))) == [
        "Alice",
        "Bob",
    ]


async def test_export_needs_a_signed_in_user(browser: httpx.AsyncClient) -> None:
    answer = await browser.get("/submissions/export.csv")
    assert answer.status_code in (302, 303, 401)
    assert not answer.headers.get("content-type", "").startswith("text/csv")
