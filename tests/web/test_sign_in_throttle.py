"""Failed sign-ins are throttled per account and per client address, in the database (so
across every API process): past a limit the answer is 429 with Retry-After, and the limit
lifts by itself once the window has passed."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from leadflow.clock import FrozenClock
from leadflow.settings import Settings
from leadflow.users.throttle import retry_after_seconds
from tests.factories import Factory
from tests.support.server import ServerProcess
from tests.web.conftest import Person, csrf_of, make_person

WINDOW = 600
PER_ACCOUNT = 5
PER_ADDRESS = 8


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        embedded_worker=False,
        db_pool_size=5,
        session_secret=SecretStr("test-secret-for-signing-sessions"),
        login_failure_seconds=0,
        sign_in_window_seconds=WINDOW,
        sign_in_failures_per_account=PER_ACCOUNT,
        sign_in_failures_per_address=PER_ADDRESS,
    )


@pytest.fixture
async def visitor(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A browser at 198.51.100.1; another address than the ``browser`` fixture's."""
    transport = httpx.ASGITransport(app=app, client=("198.51.100.1", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="https://leadflow.test") as http:
        yield http


async def try_sign_in(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    form = await client.get("/login")
    return await client.post(
        "/login",
        data={"csrf_token": csrf_of(form.text), "email": email, "password": password},
    )


async def test_past_the_account_limit_even_the_right_password_gets_429_until_the_window_ends(
    browser: httpx.AsyncClient, person: Person, clock: FrozenClock
) -> None:
    for _ in range(PER_ACCOUNT):
        assert (await try_sign_in(browser, person.email, "wrong password")).status_code == 401

    refused = await try_sign_in(browser, person.email, person.password)

    assert refused.status_code == 429
    assert refused.headers["retry-after"] == str(WINDOW)
    assert "Too many failed sign-ins. Try again in 10 minutes." in refused.text
    clock.advance(seconds=WINDOW - 1)
    assert (await try_sign_in(browser, person.email, person.password)).status_code == 429
    clock.advance(seconds=1)
    assert (await try_sign_in(browser, person.email, person.password)).status_code == 303


async def test_the_account_limit_also_holds_from_another_address_and_spares_other_accounts(
    app: FastAPI, browser: httpx.AsyncClient, visitor: httpx.AsyncClient, person: Person
) -> None:
    other = await make_person(app, person.tenant)
    for _ in range(PER_ACCOUNT):
        await try_sign_in(browser, person.email, "wrong password")

    assert (await try_sign_in(visitor, person.email, person.password)).status_code == 429
    assert (await try_sign_in(visitor, other.email, other.password)).status_code == 303


async def test_a_successful_sign_in_clears_the_accounts_failures(
    browser: httpx.AsyncClient, person: Person
) -> None:
    for _ in range(PER_ACCOUNT - 1):
        await try_sign_in(browser, person.email, "wrong password")
    assert (await try_sign_in(browser, person.email, person.password)).status_code == 303
    browser.cookies.clear()
    # Without the clearing, the second of these would be the account's sixth failure.
    for _ in range(PER_ACCOUNT - 1):
        assert (await try_sign_in(browser, person.email, "wrong password")).status_code == 401


async def test_one_address_guessing_across_accounts_is_throttled(
    app: FastAPI, browser: httpx.AsyncClient, visitor: httpx.AsyncClient, person: Person
) -> None:
    for n in range(PER_ADDRESS):
        answer = await try_sign_in(browser, f"guess{n}@example.com", "wrong password")
        assert answer.status_code == 401

    refused = await try_sign_in(browser, person.email, person.password)

    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) == WINDOW
    assert (await try_sign_in(visitor, person.email, person.password)).status_code == 303


async def test_parallel_wrong_passwords_are_mostly_refused(
    app: FastAPI, browser: httpx.AsyncClient, person: Person
) -> None:
    answers = await asyncio.gather(
        *(try_sign_in(browser, person.email, f"guess {n}") for n in range(20))
    )
    statuses = [answer.status_code for answer in answers]
    assert statuses.count(401) <= PER_ACCOUNT
    assert statuses.count(429) >= 20 - PER_ACCOUNT
    assert all(a.headers["retry-after"] for a in answers if a.status_code == 429)


async def test_a_refused_sign_in_is_logged_without_password_or_e_mail(
    app: FastAPI, browser: httpx.AsyncClient, person: Person, caplog: pytest.LogCaptureFixture
) -> None:
    for _ in range(PER_ACCOUNT):
        await try_sign_in(browser, person.email, "wrong password")
    with caplog.at_level(logging.WARNING, logger="leadflow.web.pages.login"):
        await try_sign_in(browser, person.email, "secret guess")

    (record,) = [r for r in caplog.records if r.name == "leadflow.web.pages.login"]
    message = record.getMessage()
    assert record.levelno == logging.WARNING
    assert "too many failures for this account" in message
    assert "user " in message
    assert "secret guess" not in message
    assert person.email not in message


def test_retry_after_is_when_the_oldest_counted_failure_leaves_the_window() -> None:
    now = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
    window = timedelta(seconds=60)
    seconds_ago = [now - timedelta(seconds=s) for s in (1, 10, 50)]
    assert retry_after_seconds(seconds_ago, 4, window, now) is None
    assert retry_after_seconds(seconds_ago, 3, window, now) == 10
    assert retry_after_seconds(seconds_ago[:2], 2, window, now) == 50
    a_moment_later = [now + timedelta(milliseconds=300)]
    assert retry_after_seconds(a_moment_later, 1, window, now) == 60


# Over real HTTP: two `leadflow serve` processes on one database share the counts.

HTTP_WINDOW = 20


@pytest.fixture
def servers(database_url: str, tmp_path: Path) -> Iterator[list[ServerProcess]]:
    env = {
        "LEADFLOW_SESSION_SECRET": "a session secret both processes share",
        "LEADFLOW_SESSION_COOKIE_SECURE": "false",
        "LEADFLOW_EMBEDDED_WORKER": "false",
        "LEADFLOW_LOGIN_FAILURE_SECONDS": "0",
        "LEADFLOW_SIGN_IN_WINDOW_SECONDS": str(HTTP_WINDOW),
    }
    processes = []
    try:
        for n in range(2):
            (tmp_path / f"server{n}").mkdir()
            process = ServerProcess(database_url, tmp_path / f"server{n}", env=env)
            processes.append(process)
            process.start()
        yield processes
    finally:
        for process in processes:
            process.stop()


async def http_sign_in(
    base_url: str, email: str, password: str, local_address: str = "127.0.0.1"
) -> httpx.Response:
    transport = httpx.AsyncHTTPTransport(local_address=local_address)
    async with httpx.AsyncClient(base_url=base_url, transport=transport, timeout=60) as http:
        form = await http.get("/login")
        return await http.post(
            "/login",
            data={"csrf_token": csrf_of(form.text), "email": email, "password": password},
        )


@pytest.mark.slow
async def test_twenty_parallel_wrong_passwords_over_two_processes_are_mostly_refused(
    app: FastAPI, factory: Factory, person: Person, servers: list[ServerProcess]
) -> None:
    other = await make_person(app, person.tenant)
    urls = [server.base_url for server in servers]

    answers = await asyncio.gather(
        *(http_sign_in(urls[n % 2], person.email, f"guess {n}") for n in range(20))
    )

    statuses = [answer.status_code for answer in answers]
    assert set(statuses) <= {401, 429}
    assert statuses.count(429) >= 12, statuses
    waits = [int(a.headers["retry-after"]) for a in answers if a.status_code == 429]
    assert all(1 <= wait <= HTTP_WINDOW for wait in waits), waits
    elsewhere = await http_sign_in(urls[1], other.email, other.password, "127.0.0.2")
    assert elsewhere.status_code == 303
    still = await http_sign_in(urls[0], person.email, person.password)
    assert still.status_code == 429

    await asyncio.sleep(int(still.headers["retry-after"]) + 0.5)
    assert (await http_sign_in(urls[1], person.email, person.password)).status_code == 303
