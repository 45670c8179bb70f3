"""Signing in and out of the web app."""

from __future__ import annotations

import time

import httpx

from tests.web.conftest import Person, csrf_of, sign_in


async def test_pages_send_a_visitor_without_a_session_to_the_login_page(
    browser: httpx.AsyncClient,
) -> None:
    answer = await browser.get("/?page=2")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=%2F%3Fpage%3D2"


async def test_signing_in_sets_a_secure_http_only_same_site_cookie(
    browser: httpx.AsyncClient, person: Person
) -> None:
    answer = await sign_in(browser, person)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/"
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "secure" in cookie
    assert "samesite=lax" in cookie


async def test_a_wrong_password_and_an_unknown_email_get_the_same_slow_answer(
    browser: httpx.AsyncClient, person: Person
) -> None:
    answers = []
    for email, password in ((person.email, "not the password"), ("nobody@example.com", "x")):
        form = await browser.get("/login")
        started = time.monotonic()
        answer = await browser.post(
            "/login",
            data={"csrf_token": csrf_of(form.text), "email": email, "password": password},
        )
        assert time.monotonic() - started >= 0.3
        assert answer.status_code == 401
        answers.append(answer.text.split('name="email"')[0])
    assert "do not match an account" in answers[0]
    assert answers[0].replace(person.email, "") == answers[1].replace("nobody@example.com", "")


async def test_a_tampered_session_cookie_is_no_session(
    browser: httpx.AsyncClient, signed_in: Person
) -> None:
    assert (await browser.get("/")).status_code == 200
    cookie = browser.cookies["leadflow_session"]
    browser.cookies.clear()
    payload, mac = cookie.split(".")
    browser.cookies.set("leadflow_session", f"{payload}.{mac[:-2]}AA", domain="leadflow.test")
    assert (await browser.get("/")).status_code == 303


async def test_signing_out_ends_the_session(browser: httpx.AsyncClient, signed_in: Person) -> None:
    home = await browser.get("/")
    answer = await browser.post("/logout", data={"csrf_token": csrf_of(home.text)})
    assert answer.headers["location"] == "/login"
    assert (await browser.get("/")).status_code == 303


async def test_login_refuses_an_outside_next_address(
    browser: httpx.AsyncClient, person: Person
) -> None:
    form = await browser.get("/login?next=//evil.example/")
    assert 'name="next" value="/"' in form.text


async def test_a_form_posted_without_a_session_leads_to_the_login_page(
    browser: httpx.AsyncClient,
) -> None:
    answer = await browser.post("/suppression/block", data={"number": "+18004506787"})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=%2F"
