"""Wrong turns answer in the caller's language: a page for browsers, JSON for API clients, and
a GET of the intake URL says that leads are posted."""

from __future__ import annotations

import httpx

from tests.web.conftest import Person

HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


async def test_a_signed_in_browser_gets_the_apps_html_404_for_an_unknown_url(
    browser: httpx.AsyncClient, signed_in: Person
) -> None:
    answer = await browser.get("/no/such/page", headers=HTML)
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("text/html")
    assert "<h1>Not found</h1>" in answer.text


async def test_an_api_client_still_gets_json_for_an_unknown_url(
    browser: httpx.AsyncClient, signed_in: Person
) -> None:
    answer = await browser.get("/api/v1/no_such_thing", headers=HTML)
    assert answer.status_code == 404
    assert answer.json()["status"] == 404
    plain = await browser.get("/no/such/page", headers={"Accept": "application/json"})
    assert plain.status_code == 404
    assert plain.json()["errors"] == {"base": ["Not Found"]}


async def test_a_get_of_the_intake_url_says_leads_are_sent_with_post(
    browser: httpx.AsyncClient,
) -> None:
    for params in ({"lead_token": "abc", "caller_id": "+18004506787"}, {}):
        answer = await browser.get("/api/v1/leads", params=params)
        assert answer.status_code == 401, answer.text
        message = answer.json()["errors"]["base"][0]
        assert message.startswith("leads are sent with POST"), message
        assert "Authorization: Basic" in message
