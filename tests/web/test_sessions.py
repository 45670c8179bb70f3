"""Web sessions end server-side: on logout, on a password change (the user's other sessions)
and on removing the user (all of them), in the process that served it and in every other."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from leadflow.app_state import state_of
from leadflow.clock import FrozenClock, SystemClock
from leadflow.db.engine import create_engine, make_sessionmaker
from leadflow.models import UserSession
from leadflow.users.repository import UserRepository
from leadflow.users.service import change_password, remove_user, reset_password
from leadflow.web.session import COOKIE_NAME, SessionSigner
from tests.factories import Factory
from tests.support.server import ServerProcess
from tests.web.conftest import Person, csrf_of, make_person, sign_in

NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture
async def second_browser(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://leadflow.test") as http:
        yield http


def session_token(app: FastAPI, browser: httpx.AsyncClient) -> str:
    signer: SessionSigner = state_of(app).web_signer
    session = signer.loads(browser.cookies[COOKIE_NAME])
    assert session is not None
    assert session.token is not None
    return session.token


async def is_signed_in(browser: httpx.AsyncClient) -> bool:
    answer = await browser.get("/")
    assert answer.status_code in (200, 303), answer.text
    return answer.status_code == 200


async def test_a_cookie_copied_before_logout_no_longer_signs_in(
    app: FastAPI,
    browser: httpx.AsyncClient,
    second_browser: httpx.AsyncClient,
    signed_in: Person,
) -> None:
    second_browser.cookies.set(COOKIE_NAME, browser.cookies[COOKIE_NAME], domain="leadflow.test")
    assert await is_signed_in(second_browser)

    home = await browser.get("/")
    await browser.post("/logout", data={"csrf_token": csrf_of(home.text)})

    answer = await second_browser.get("/leads")
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/login")


async def test_changing_the_password_ends_the_users_other_sessions_only(
    app: FastAPI,
    browser: httpx.AsyncClient,
    second_browser: httpx.AsyncClient,
    signed_in: Person,
) -> None:
    assert (await sign_in(second_browser, signed_in)).status_code == 303
    async with state_of(app).sessionmaker() as db:
        users = UserRepository(db)
        user = await users.by_email(signed_in.email)
        assert user is not None
        await change_password(
            users, state_of(app).clock, user, NEW_PASSWORD, session_token(app, browser)
        )
        await db.commit()

    assert await is_signed_in(browser)
    assert not await is_signed_in(second_browser)
    signed_in.password = NEW_PASSWORD
    assert (await sign_in(second_browser, signed_in)).status_code == 303


async def test_resetting_the_password_ends_every_session_of_the_user(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person, factory: Factory
) -> None:
    other = await make_person(app, signed_in.tenant)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://leadflow.test") as theirs:
        assert (await sign_in(theirs, other)).status_code == 303
        async with state_of(app).sessionmaker() as db:
            users = UserRepository(db)
            user = await users.by_email(signed_in.email)
            assert user is not None
            await reset_password(users, state_of(app).clock, user)
            await db.commit()
        assert not await is_signed_in(browser)
        assert await is_signed_in(theirs)


async def test_removing_a_user_ends_all_their_sessions(
    app: FastAPI,
    browser: httpx.AsyncClient,
    second_browser: httpx.AsyncClient,
    signed_in: Person,
) -> None:
    assert (await sign_in(second_browser, signed_in)).status_code == 303
    async with state_of(app).sessionmaker() as db:
        users = UserRepository(db)
        user = await users.by_email(signed_in.email)
        assert user is not None
        await remove_user(users, state_of(app).clock, user)
        await db.commit()

    assert not await is_signed_in(browser)
    assert not await is_signed_in(second_browser)


async def test_a_session_ends_when_its_lifetime_is_over(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person, clock: FrozenClock
) -> None:
    clock.advance(seconds=state_of(app).settings.session_max_age_seconds - 1)
    assert await is_signed_in(browser)
    clock.advance(seconds=2)
    assert not await is_signed_in(browser)


async def test_only_a_hash_of_the_cookies_token_is_stored(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person
) -> None:
    token = session_token(app, browser)
    async with state_of(app).sessionmaker() as db:
        rows = (await db.scalars(select(UserSession))).all()
    assert len(rows) == 1
    assert rows[0].token_hash != token
    assert token not in rows[0].token_hash
    assert rows[0].revoked_at is None


# Over real HTTP: two `leadflow serve` processes on one database; a cookie ended in one is
# refused by the other at once.

SECRET = "a session secret both processes share"


@pytest.fixture
def servers(database_url: str, tmp_path: Path) -> Iterator[list[ServerProcess]]:
    env = {
        "LEADFLOW_SESSION_SECRET": SECRET,
        "LEADFLOW_SESSION_COOKIE_SECURE": "false",
        "LEADFLOW_EMBEDDED_WORKER": "false",
        "LEADFLOW_LOGIN_FAILURE_SECONDS": "0",
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


async def http_sign_in(base_url: str, person: Person) -> str:
    """Sign in over HTTP; the session cookie's value."""
    async with httpx.AsyncClient(base_url=base_url) as http:
        form = await http.get("/login")
        answer = await http.post(
            "/login",
            data={
                "csrf_token": csrf_of(form.text),
                "email": person.email,
                "password": person.password,
            },
        )
        assert answer.status_code == 303, answer.text
        return str(http.cookies[COOKIE_NAME])


async def page_status(base_url: str, cookie: str) -> int:
    async with httpx.AsyncClient(cookies={COOKIE_NAME: cookie}) as http:
        return (await http.get(base_url + "/")).status_code


@pytest.mark.slow
async def test_logout_password_change_and_removal_end_sessions_across_processes(
    database_url: str, person: Person, servers: list[ServerProcess]
) -> None:
    one, two = (server.base_url for server in servers)

    cookie = await http_sign_in(one, person)
    assert await page_status(two, cookie) == 200
    async with httpx.AsyncClient(base_url=one, cookies={COOKIE_NAME: cookie}) as http:
        home = await http.get("/")
        logout = await http.post("/logout", data={"csrf_token": csrf_of(home.text)})
        assert logout.status_code == 303
    assert await page_status(one, cookie) == 303
    assert await page_status(two, cookie) == 303

    first, second = await http_sign_in(one, person), await http_sign_in(two, person)
    engine = create_engine(database_url, pool_size=1)
    try:
        async with make_sessionmaker(engine)() as db:
            users = UserRepository(db)
            user = await users.by_email(person.email)
            assert user is not None
            await change_password(users, SystemClock(), user, NEW_PASSWORD)
            await db.commit()
        assert await page_status(one, first) == 303
        assert await page_status(two, second) == 303

        person.password = NEW_PASSWORD
        first, second = await http_sign_in(one, person), await http_sign_in(two, person)
        assert await page_status(two, first) == 200
        async with make_sessionmaker(engine)() as db:
            users = UserRepository(db)
            user = await users.by_email(person.email)
            assert user is not None
            await remove_user(users, SystemClock(), user)
            await db.commit()
        assert await page_status(one, first) == 303
        assert await page_status(two, second) == 303
    finally:
        await engine.dispose()
