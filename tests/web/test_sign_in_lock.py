"""A wrong password holds no database lock: on SQLite every transaction takes the one write
lock, so a sign-in that kept one open through argon2 and the failure delay would stall every
other company's lead posts for as long as anyone cared to keep guessing."""

from __future__ import annotations

import asyncio
import sqlite3

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import event

from leadflow.app_state import state_of
from leadflow.settings import Settings
from tests.web.conftest import Person, csrf_of
from tests.web.test_sign_in_throttle import try_sign_in

PER_ACCOUNT = 3

FAILURE_SECONDS = 1.5


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        embedded_worker=False,
        db_pool_size=5,
        session_secret=SecretStr("test-secret-for-signing-sessions"),
        login_failure_seconds=FAILURE_SECONDS,
        sign_in_failures_per_account=PER_ACCOUNT,
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


@pytest.mark.engines("sqlite")  # PostgreSQL has no one write lock; its batches are counted too
async def test_wrong_sign_ins_take_no_transaction_of_their_own(
    app: FastAPI, browser: httpx.AsyncClient, person: Person
) -> None:
    """Each guess is recorded in a group-commit unit, beside other companies' lead posts. Two
    transactions of its own per guess queued every post behind SQLite's one write lock
    (bench.abuse: twenty guesses took another company's p99 from 57 ms to 424 ms)."""
    forms = [csrf_of((await browser.get("/login")).text) for _ in range(8)]
    began: list[object] = []

    def count(connection: object) -> None:
        began.append(connection)

    engine = state_of(app).engine.sync_engine
    event.listen(engine, "begin", count)
    try:
        answers = await asyncio.gather(
            *(
                browser.post(
                    "/login",
                    data={"csrf_token": token, "email": person.email, "password": "a guess"},
                )
                for token in forms
            )
        )
    finally:
        event.remove(engine, "begin", count)

    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [401] * PER_ACCOUNT + [429] * (8 - PER_ACCOUNT)  # still throttled
    assert began == []
