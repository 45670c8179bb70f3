"""Settings pages: the company, API keys and users, with the API's own rules next to each
field and a confirmation before anything destructive."""

from __future__ import annotations

import re

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from leadflow.app_state import state_of
from leadflow.models import ApiKey, Company, User
from tests.calls.seed import Calls
from tests.factories import Factory
from tests.web.conftest import Person, csrf_of, make_person, post_form, sign_in


async def _company(app: FastAPI, company_id: int) -> Company:
    async with state_of(app).sessionmaker() as session:
        company = await session.get(Company, company_id)
    assert company is not None
    return company


async def test_the_company_time_zone_and_budget_are_saved_and_times_follow_the_zone(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person
) -> None:
    url = "/settings/company"
    form = await browser.get(url)
    assert 'value="America/New_York"' in form.text
    saved = await post_form(
        browser, url, url, {"time_zone": "Europe/Berlin", "calls_per_second": "3"}
    )
    assert saved.headers["location"] == "/settings/company?done=saved"
    company = await _company(app, signed_in.tenant.company.id)
    assert (company.time_zone, company.calls_per_second) == ("Europe/Berlin", 3)
    shown = await browser.get(saved.headers["location"])
    assert "saved" in shown.text
    assert "Times are shown in Europe/Berlin." in shown.text


async def test_a_leads_times_are_shown_in_the_companys_zone_and_follow_a_change(
    browser: httpx.AsyncClient, signed_in: Person, factory: Factory
) -> None:
    schedule = await factory.schedule(signed_in.tenant)
    posted = await browser.post(
        "/api/v1/leads", params={"lead_token": schedule.leads_api_key, "caller_id": "+18004506787"}
    )
    lead_id = posted.json()["lead"]["id"]
    assert posted.json()["lead"]["created_at"].startswith("2026-01-05T15:00:00")  # UTC

    in_new_york = (await browser.get(f"/leads/{lead_id}")).text
    url = "/settings/company"
    await post_form(browser, url, url, {"time_zone": "Europe/Berlin", "calls_per_second": "3"})
    in_berlin = (await browser.get(f"/leads/{lead_id}")).text

    assert "<dd>2026-01-05 10:00:00 EST</dd>" in in_new_york
    assert "<dd>2026-01-05 16:00:00 CET</dd>" in in_berlin


async def test_a_bad_zone_and_budget_are_refused_next_to_their_fields(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person
) -> None:
    url = "/settings/company"
    refused = await post_form(
        browser, url, url, {"time_zone": "Mars/Base", "calls_per_second": "0"}
    )
    assert refused.status_code == 422
    assert 'id="err-time_zone">must be an IANA time zone' in refused.text
    assert 'id="err-calls_per_second">Enter 1 or more.' in refused.text
    assert 'value="Mars/Base"' in refused.text
    company = await _company(app, signed_in.tenant.company.id)
    assert (company.time_zone, company.calls_per_second) == ("America/New_York", 10)


async def test_the_caller_id_shown_is_a_voice_number_of_the_company(
    browser: httpx.AsyncClient, signed_in: Person, factory: Factory
) -> None:
    without = await browser.get("/settings/company")
    assert "You have no voice number" in without.text
    await factory.number(signed_in.tenant, "+17193132645")
    assert "+17193132645" in (await browser.get("/settings/company")).text


async def test_an_api_key_is_created_with_its_rights_and_its_private_key_shown_once(
    browser: httpx.AsyncClient, signed_in: Person
) -> None:
    url = "/settings/api_keys"
    form = {"name": "CRM sync", "perm": ["offers:read"], "ip_allowlist": "127.0.0.1\n"}
    opened = await browser.get(url)
    created = await browser.post(url, data={"csrf_token": csrf_of(opened.text), **form})
    assert created.status_code == 201
    public = re.search(r'id="public-key">([^<]+)<', created.text)
    private = re.search(r'id="private-key">([^<]+)<', created.text)
    assert public
    assert private
    auth = (public.group(1), private.group(1))
    assert (await browser.get("/api/v1/offers", auth=auth)).status_code == 200
    refused = await browser.post("/api/v1/offers", auth=auth, json={"offer": {"name": "x"}})
    assert refused.status_code == 403
    listed = await browser.get(url)
    assert "CRM sync" in listed.text
    assert public.group(1) in listed.text
    assert private.group(1) not in listed.text
    assert "offers: read" in listed.text
    assert "127.0.0.1" in listed.text


async def test_an_api_key_from_outside_its_allowlist_is_refused(
    browser: httpx.AsyncClient, signed_in: Person
) -> None:
    url = "/settings/api_keys"
    form = {"name": "Office", "perm": ["*:read"], "ip_allowlist": "198.51.100.0/24"}
    opened = await browser.get(url)
    created = await browser.post(url, data={"csrf_token": csrf_of(opened.text), **form})
    public = re.search(r'id="public-key">([^<]+)<', created.text)
    private = re.search(r'id="private-key">([^<]+)<', created.text)
    assert public
    assert private
    answer = await browser.get("/api/v1/offers", auth=(public.group(1), private.group(1)))
    assert answer.status_code in (401, 403)


async def test_a_bad_allowlist_entry_and_an_unknown_resource_are_refused_next_to_the_fields(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person
) -> None:
    url = "/settings/api_keys"
    form = {"name": "", "perm": ["rockets:read"], "ip_allowlist": "10.0.0.1\nnot an address"}
    forged = {"name": "x", "perm": ["offers:fly"]}
    opened = await browser.get(url)
    refused = await browser.post(url, data={"csrf_token": csrf_of(opened.text), **form})
    assert refused.status_code == 422
    assert 'id="err-name">This is required.' in refused.text
    assert 'id="err-permissions">unknown resource rockets' in refused.text
    assert 'id="err-ip_allowlist">&#39;not an address&#39; is not an IP address' in refused.text
    wrong_action = await post_form(browser, url, url, forged)
    assert 'id="err-permissions">offers.0: Choose one of' in wrong_action.text
    async with state_of(app).sessionmaker() as session:
        names = (await session.scalars(select(ApiKey.name))).all()
    assert names == ["default"]


async def test_a_key_is_revoked_after_a_confirmation_and_stops_working(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person
) -> None:
    tenant = signed_in.tenant
    assert (await browser.get("/api/v1/offers", headers=tenant.auth)).status_code == 200
    async with state_of(app).sessionmaker() as session:
        key = (await session.scalars(select(ApiKey))).one()
    url = f"/settings/api_keys/{key.id}/revoke"
    confirm = await browser.get(url)
    assert "Revoke the API key" in confirm.text
    assert "cannot be undone" in confirm.text
    revoked = await post_form(browser, url, url, {})
    assert revoked.headers["location"] == "/settings/api_keys?done=revoked"
    assert (await browser.get("/api/v1/offers", headers=tenant.auth)).status_code == 401
    assert "Revoked" in (await browser.get("/settings/api_keys")).text


async def test_another_companys_key_cannot_be_revoked(
    browser: httpx.AsyncClient, signed_in: Person, factory: Factory
) -> None:
    other = await factory.tenant()
    assert (await browser.get("/api/v1/api_keys", headers=other.auth)).status_code == 200
    theirs = (await browser.get("/api/v1/api_keys", headers=other.auth)).json()["api_keys"][0]
    url = f"/settings/api_keys/{theirs['id']}/revoke"
    assert (await browser.get(url)).status_code == 404
    csrf = csrf_of((await browser.get("/settings/api_keys")).text)
    assert (await browser.post(url, data={"csrf_token": csrf})).status_code == 404
    assert (await browser.get("/api/v1/offers", headers=other.auth)).status_code == 200


async def _user(app: FastAPI, email: str) -> User | None:
    async with state_of(app).sessionmaker() as session:
        return await session.scalar(select(User).where(User.email == email))


async def test_a_user_is_added_with_a_generated_password_shown_once_and_can_sign_in(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person
) -> None:
    added = await post_form(browser, "/settings/users", "/settings/users", {"email": "Bo@X.com"})
    assert added.status_code == 201
    password = re.search(r'id="new-password">([^<]+)<', added.text)
    assert password
    assert "bo@x.com" in (await browser.get("/settings/users")).text
    newcomer = Person(signed_in.tenant, "bo@x.com", password.group(1))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="https://leadflow.test"
    ) as other:
        assert (await sign_in(other, newcomer)).status_code == 303
        assert (await other.get("/settings/users")).status_code == 200


async def test_adding_a_user_keeps_the_rules_of_the_cli(
    browser: httpx.AsyncClient, signed_in: Person
) -> None:
    url = "/settings/users"
    bad = await post_form(browser, url, url, {"email": "not-an-email"})
    assert bad.status_code == 422
    assert 'id="err-email">' in bad.text
    short = await post_form(browser, url, url, {"email": "ann@x.com", "password": "short"})
    assert 'id="err-password">must be at least 10 characters' in short.text
    taken = await post_form(browser, url, url, {"email": signed_in.email})
    assert 'id="err-email">a user with this e-mail already exists' in taken.text


async def test_resetting_a_password_ends_that_users_sessions(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person
) -> None:
    other_person = await make_person(app, signed_in.tenant)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="https://leadflow.test"
    ) as theirs:
        assert (await sign_in(theirs, other_person)).status_code == 303
        assert (await theirs.get("/leads")).status_code == 200
        target = await _user(app, other_person.email)
        assert target is not None
        url = f"/settings/users/{target.id}/reset_password"
        assert "every session of" in (await browser.get(url)).text
        chosen = "a brand new passphrase"
        reset = await post_form(browser, url, url, {"password": chosen})
        assert reset.status_code == 200
        assert "Password reset" in reset.text
        assert (await theirs.get("/leads")).headers["location"].startswith("/login")
    assert (await browser.get("/leads")).status_code == 200
    other_person.password = chosen
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="https://leadflow.test"
    ) as again:
        assert (await sign_in(again, other_person)).status_code == 303


async def test_resetting_ones_own_password_keeps_this_session(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person
) -> None:
    me = await _user(app, signed_in.email)
    assert me is not None
    url = f"/settings/users/{me.id}/reset_password"
    reset = await post_form(browser, url, url, {})
    assert re.search(r'id="new-password">([^<]+)<', reset.text)
    assert (await browser.get("/settings/users")).status_code == 200
    short = await post_form(browser, url, url, {"password": "short"})
    assert short.status_code == 422
    assert 'id="err-password">must be at least 10 characters' in short.text


async def test_a_user_is_removed_after_a_confirmation_and_signed_out(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person
) -> None:
    other_person = await make_person(app, signed_in.tenant)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="https://leadflow.test"
    ) as theirs:
        assert (await sign_in(theirs, other_person)).status_code == 303
        target = await _user(app, other_person.email)
        assert target is not None
        url = f"/settings/users/{target.id}/remove"
        assert "cannot be undone" in (await browser.get(url)).text
        removed = await post_form(browser, url, url, {})
        assert removed.headers["location"] == "/settings/users?done=removed"
        assert (await theirs.get("/leads")).headers["location"].startswith("/login")
    assert await _user(app, other_person.email) is None


async def test_a_disabled_user_is_signed_out_cannot_sign_in_and_is_let_back_in_by_enabling(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person
) -> None:
    other_person = await make_person(app, signed_in.tenant)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://leadflow.test") as theirs:
        assert (await sign_in(theirs, other_person)).status_code == 303
        target = await _user(app, other_person.email)
        assert target is not None
        url = f"/settings/users/{target.id}/disable"
        assert "until you enable them again" in (await browser.get(url)).text
        disabled = await post_form(browser, url, url, {})
        assert disabled.headers["location"] == "/settings/users?done=disabled"
        assert (await theirs.get("/leads")).headers["location"].startswith("/login")
    async with httpx.AsyncClient(transport=transport, base_url="https://leadflow.test") as again:
        refused = await sign_in(again, other_person)
        assert refused.status_code != 303  # the right password, but the account is disabled
        assert "do not match" in refused.text
    listed = await browser.get("/settings/users")
    assert f'Enable<span class="muted"> {other_person.email}' in listed.text
    kept = await _user(app, other_person.email)
    assert kept is not None  # disabled, not removed: the account stays
    enable = f"/settings/users/{target.id}/enable"
    enabled = await post_form(browser, "/settings/users", enable, {})
    assert enabled.headers["location"] == "/settings/users?done=enabled"
    async with httpx.AsyncClient(transport=transport, base_url="https://leadflow.test") as back:
        assert (await sign_in(back, other_person)).status_code == 303
        assert (await back.get("/leads")).status_code == 200


async def test_nobody_disables_themselves(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person
) -> None:
    me = await _user(app, signed_in.email)
    assert me is not None
    url = f"/settings/users/{me.id}/disable"
    assert "You cannot disable yourself" in (await browser.get(url)).text
    assert (await post_form(browser, url, url, {})).status_code == 409
    assert (await browser.get("/settings/users")).status_code == 200


async def test_nobody_removes_themselves_or_another_companys_user(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person, factory: Factory
) -> None:
    me = await _user(app, signed_in.email)
    assert me is not None
    url = f"/settings/users/{me.id}/remove"
    assert "You cannot remove yourself" in (await browser.get(url)).text
    refused = await post_form(browser, url, url, {})
    assert refused.status_code == 409
    stranger = await make_person(app, await factory.tenant())
    theirs = await _user(app, stranger.email)
    assert theirs is not None
    for operation in ("remove", "reset_password", "disable"):
        assert (await browser.get(f"/settings/users/{theirs.id}/{operation}")).status_code == 404
    assert await _user(app, signed_in.email) is not None


async def test_every_settings_and_calls_form_refuses_a_missing_csrf_token(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person, factory: Factory
) -> None:
    tenant = signed_in.tenant
    async with state_of(app).sessionmaker() as session:
        key = (await session.scalars(select(ApiKey))).one()
        me = await session.scalar(select(User).where(User.email == signed_in.email))
    assert me is not None
    made = await browser.post(
        "/api/v1/subscriptions",
        json={"target_url": "https://hooks.example.com/x", "event": "new_lead"},
        headers=tenant.auth,
    )
    hook = made.json()["subscription"]["id"]
    call = await Calls(factory, browser).call(tenant)
    forms = (
        "/settings/company",
        "/settings/api_keys",
        f"/settings/api_keys/{key.id}/revoke",
        "/settings/users",
        f"/settings/users/{me.id}/reset_password",
        f"/settings/users/{me.id}/remove",
        f"/settings/users/{me.id}/disable",
        f"/settings/users/{me.id}/enable",
        "/settings/webhooks",
        f"/settings/webhooks/{hook}",
        f"/settings/webhooks/{hook}/test",
        f"/settings/webhooks/{hook}/deliveries/1/retry",
        f"/settings/webhooks/{hook}/delete",
        f"/calls/{call.id}",
    )
    for url in forms:
        answer = await browser.post(url, data={"name": "x", "time_zone": "UTC"})
        assert answer.status_code == 403, url
        assert "Form expired" in answer.text
    async with state_of(app).sessionmaker() as session:
        assert (await session.get(ApiKey, key.id)).revoked_at is None  # type: ignore[union-attr]
        assert await session.get(User, me.id) is not None
