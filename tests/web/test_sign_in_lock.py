"""A wrong password holds no database lock: on SQLite every transaction takes the one write
lock, so a sign-in that kept one open through argon2 and the failure delay would stall every
other company's lead posts for as long as anyone cared to keep guessing."""

from __future__ import annotations

import asyncio
import sqlite3

import httpx
import pytest
from pydantic import SecretStr

from leadflow.settings import Settings
from tests.web.conftest import Person
from tests.web.test_sign_in_throttle import try_sign_in

FAILURE_SECONDS = 1.5


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        embedded_worker=False,
        db_pool_size=5,
        session_secret=SecretStr("test-secret-for-signing-sessions"),
        login_failure_seconds=FAILURE_SECONDS,
    )


@pytest.mark.engines("sqlite")
async def test_another_writer_commits_while_a_wrong_sign_in_is_being_answered(
    browser: httpx.AsyncClient, person: Person, settings: Settings
) -> None:
    guess = asyncio.create_task(try_sign_in(browser, person.email, "a wrong password"))
    await asyncio.sleep(FAILURE_SECONDS / 3)  # past the look-up and argon2, into the delay

    writer = sqlite3.connect(settings.database_url.removeprefix("sqlite:///"), timeout=0)
    try:
        writer.execute("BEGIN IMMEDIATE")  # "database is locked" if the sign-in held it
        writer.execute("ROLLBACK")
    finally:
        writer.close()

    assert not guess.done(), "the sign-in had already been answered: nothing was proved"
    assert (await guess).status_code == 401
