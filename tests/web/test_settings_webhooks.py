"""Settings → Webhooks: subscriptions with the API's rules next to each field, a test delivery
a real receiver gets, the delivery log, a retry of a failed delivery, and deletion behind a
confirmation."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import select

from leadflow.app_state import state_of
from leadflow.models import Subscription
from leadflow.settings import Settings
from leadflow.webhooks.delivery import deliver_due_webhooks
from tests.factories import Factory
from tests.web.conftest import Person, csrf_of, post_form
from tests.webhooks.receiver import Receiver, private_address, serve


@pytest.fixture
def settings(database_url: str) -> Settings:
    """The web app's settings, with the receiver on this host let through the URL policy."""
    return Settings(
        database_url=database_url,
        embedded_worker=False,
        db_pool_size=5,
        session_secret=SecretStr("test-secret-for-signing-sessions"),
        login_failure_seconds=0.3,
        allow_private_urls=True,
        allow_loopback_urls=True,
        webhook_timeout_seconds=5.0,
        webhook_max_attempts=1,
    )


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver(private_address() or "127.0.0.1")
    server = serve(found)
    try:
        yield found
    finally:
        server.shutdown()
        server.server_close()


async def _subscribe(browser: httpx.AsyncClient, data: dict[str, str]) -> httpx.Response:
    return await post_form(browser, "/settings/webhooks", "/settings/webhooks", data)


async def _only(app: FastAPI) -> Subscription:
    async with state_of(app).sessionmaker() as session:
        return (await session.scalars(select(Subscription))).one()


async def test_a_subscription_is_created_with_its_triggers_and_its_secret_shown_once(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person, factory: Factory
) -> None:
    schedule = await factory.schedule(signed_in.tenant)
    created = await _subscribe(
        browser,
        {
            "target_url": "https://hooks.example.com/leadflow",
            "event": "lead_converted",
            "trigger_fields.schedule_id": str(schedule.id),
            "trigger_fields.sub_id": "spring",
            "active": "on",
        },
    )
    assert created.status_code == 201
    row = await _only(app)
    assert row.secret in created.text
    assert (row.event, row.active) == ("lead_converted", True)
    assert row.trigger_fields == {"schedule_id": schedule.id, "sub_id": "spring"}
    listed = await browser.get("/settings/webhooks")
    assert "hooks.example.com" in listed.text
    assert row.secret not in listed.text
    assert row.secret not in (await browser.get(f"/settings/webhooks/{row.id}")).text


async def test_the_apis_rules_are_shown_next_to_the_fields(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person, factory: Factory
) -> None:
    theirs = await factory.schedule(await factory.tenant())
    bad_url = await _subscribe(
        browser, {"target_url": "http://169.254.169.254/latest", "event": "new_lead"}
    )
    assert bad_url.status_code == 422
    assert 'id="err-target_url">' in bad_url.text
    foreign = await _subscribe(
        browser,
        {
            "target_url": "https://hooks.example.com/x",
            "event": "new_lead",
            "trigger_fields.schedule_id": str(theirs.id),
        },
    )
    assert 'id="err-trigger_fields.schedule_id">must be one of your schedules' in foreign.text
    unknown = await _subscribe(browser, {"target_url": "https://h.example.com", "event": "nope"})
    assert 'id="err-event">Choose one of' in unknown.text
    async with state_of(app).sessionmaker() as session:
        assert (await session.scalars(select(Subscription))).first() is None


async def test_a_test_delivery_reaches_the_receiver_and_a_failed_one_is_retried(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person, receiver: Receiver
) -> None:
    receiver.statuses = [500, 200]
    await _subscribe(browser, {"target_url": receiver.url(), "event": "new_call", "active": "on"})
    row = await _only(app)
    url = f"/settings/webhooks/{row.id}"
    tested = await post_form(browser, url, f"{url}/test", {})
    assert tested.headers["location"] == f"{url}?done=tested"
    assert await deliver_due_webhooks(state_of(app).worker_context) == 1
    sent = json.loads(receiver.requests[0].body)
    assert (sent["event"], sent["test"]) == ("new_call", True)
    log = await browser.get(url)
    assert "failed" in log.text
    assert "HTTP 500" in log.text
    retry = re.search(rf'action="({url}/deliveries/\d+/retry)"', log.text)
    assert retry
    retried = await browser.post(retry.group(1), data={"csrf_token": csrf_of(log.text)})
    assert retried.headers["location"] == f"{url}?done=retried"
    assert await deliver_due_webhooks(state_of(app).worker_context) == 1
    assert len(receiver.requests) == 2
    after = await browser.get(url)
    assert "delivered" in after.text
    assert "/retry" not in after.text


async def test_editing_to_a_new_host_shows_a_new_secret_and_deleting_asks_first(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person
) -> None:
    await _subscribe(browser, {"target_url": "https://a.example.com/h", "event": "new_lead"})
    row = await _only(app)
    url = f"/settings/webhooks/{row.id}"
    same_host = await post_form(
        browser, url, url, {"target_url": "https://a.example.com/other", "event": "lead_ended"}
    )
    assert same_host.headers["location"] == f"{url}?done=saved"
    moved = await post_form(
        browser, url, url, {"target_url": "https://b.example.com/h", "event": "lead_ended"}
    )
    assert moved.status_code == 200
    updated = await _only(app)
    assert updated.secret != row.secret
    assert updated.secret in moved.text
    assert updated.active is False
    confirm = await browser.get(f"{url}/delete")
    assert "cannot be undone" in confirm.text
    deleted = await post_form(browser, f"{url}/delete", f"{url}/delete", {})
    assert deleted.headers["location"] == "/settings/webhooks?done=deleted"
    async with state_of(app).sessionmaker() as session:
        assert (await session.scalars(select(Subscription))).first() is None


async def test_another_companys_subscription_is_not_found(
    browser: httpx.AsyncClient, signed_in: Person, factory: Factory
) -> None:
    other = await factory.tenant()
    made = await browser.post(
        "/api/v1/subscriptions",
        json={"target_url": "https://hooks.example.com/x", "event": "new_lead"},
        headers=other.auth,
    )
    theirs = made.json()["subscription"]["id"]
    assert (await browser.get(f"/settings/webhooks/{theirs}")).status_code == 404
    assert (await browser.get(f"/settings/webhooks/{theirs}/delete")).status_code == 404
