"""Who may change the shared lists: they apply to every company, so a company's key or web
user changes them only when the operator named it in LEADFLOW_DNC_LIST_COMPANIES, or when it
is the installation's only company. Its own internal list stays its own."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from leadflow.app_state import state_of
from leadflow.dnc.authority import shared_list_refusal
from leadflow.settings import Settings
from tests.factories import Factory, Tenant
from tests.web.conftest import Person, browser, csrf_of, person, signed_in

__all__ = ["browser", "person", "signed_in"]

LISTED = "+12125550123"


@pytest.fixture
def settings(database_url: str, dnc_dir: Path) -> Settings:
    return Settings(
        database_url=database_url,
        embedded_worker=False,
        db_pool_size=5,
        session_secret=SecretStr("test-secret-for-signing-sessions"),
        dnc_dir=dnc_dir,
        dnc_refresh_seconds=0,
    )


def allow(app: FastAPI, *companies: int) -> None:
    """As if the operator had started the server with LEADFLOW_DNC_LIST_COMPANIES set."""
    state_of(app).settings = state_of(app).settings.model_copy(
        update={"dnc_list_companies": companies}
    )


def test_the_rule_in_one_line_each() -> None:
    assert shared_list_refusal(7, (), companies=1) is None
    assert shared_list_refusal(7, (), companies=2) is not None
    assert shared_list_refusal(7, (7, 9), companies=2) is None
    assert shared_list_refusal(8, (7, 9), companies=2) is not None
    assert shared_list_refusal(8, (7,), companies=1) is not None  # named: only those named


def test_the_setting_reads_a_comma_list_of_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEADFLOW_DNC_LIST_COMPANIES", "3, 5")
    assert Settings().dnc_list_companies == (3, 5)
    monkeypatch.setenv("LEADFLOW_DNC_LIST_COMPANIES", "acme")
    with pytest.raises(ValueError, match="dnc_list_companies"):
        Settings()


async def upload(client: httpx.AsyncClient, tenant: Tenant, body: bytes) -> httpx.Response:
    return await client.post("/api/v1/dnc/lists/litigator", content=body, headers=tenant.auth)


async def listed_on(client: httpx.AsyncClient, tenant: Tenant, number: str) -> list[str]:
    answer = await client.get("/api/v1/dnc/check", params={"number": number}, headers=tenant.auth)
    return [hit["name"] for hit in answer.json()["dnc_check"]["lists"]]


async def test_a_second_company_cannot_change_the_lists_every_company_calls_by(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    first = await factory.tenant("First")
    assert (await upload(client, first, LISTED[-10:].encode() + b"\n")).status_code == 200
    second = await factory.tenant("Second")
    for tenant in (first, second):
        refused = await upload(client, tenant, b"3105550000\n")
        assert refused.status_code == 403, refused.text
        body = refused.json()
        assert body["error_code"] == "dnc_list_restricted"
        assert "LEADFLOW_DNC_LIST_COMPANIES" in body["errors"]["list_name"][0]
    assert await listed_on(client, second, LISTED) == ["litigator"]  # the list stands
    assert await listed_on(client, second, "+13105550000") == []
    own = await client.post("/api/v1/dnc/internal/+13105550000", headers=second.auth)
    assert own.status_code == 200, own.text  # the company's own list is its own


async def test_a_company_named_in_the_setting_may_and_the_others_may_not(
    app: FastAPI, client: httpx.AsyncClient, factory: Factory
) -> None:
    operator = await factory.tenant("Operator")
    customer = await factory.tenant("Customer")
    allow(app, operator.company.id)
    assert (await upload(client, operator, b"2125550123\n")).status_code == 200
    refused = await upload(client, customer, b"\n")
    assert refused.status_code == 403
    assert f"company {customer.company.id} is not one" in refused.text
    assert await listed_on(client, customer, LISTED) == ["litigator"]


async def test_the_dnc_page_is_read_only_for_a_company_that_may_not_change_the_lists(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person, factory: Factory
) -> None:
    opened = await browser.get("/dnc")
    assert 'enctype="multipart/form-data"' in opened.text  # the only company: the operator
    await factory.tenant("Another")
    opened = await browser.get("/dnc")
    assert opened.status_code == 200
    assert 'enctype="multipart/form-data"' not in opened.text
    assert "These lists are read-only for your company" in opened.text
    refused = await browser.post(
        "/dnc",
        data={"csrf_token": csrf_of(opened.text), "list": "litigator", "change": "none"},
        files={"file": ("l.txt", b"2125550123\n", "text/plain")},
    )
    assert refused.status_code == 403
    assert 'role="alert" id="dnc-read-only"' in refused.text
    assert "No list has been imported yet." in refused.text
    allow(app, signed_in.tenant.company.id)
    assert 'enctype="multipart/form-data"' in (await browser.get("/dnc")).text


async def test_who_uploaded_a_shared_list_is_shown_only_to_companies_that_may_change_them(
    app: FastAPI, browser: httpx.AsyncClient, signed_in: Person, factory: Factory
) -> None:
    opened = await browser.get("/dnc")
    uploaded = await browser.post(
        "/dnc",
        data={"csrf_token": csrf_of(opened.text), "list": "litigator", "change": "none"},
        files={"file": ("plaintiffs-2026.txt", b"2125550123\n", "text/plain")},
    )
    assert uploaded.status_code in (200, 303), uploaded.text
    assert "plaintiffs-2026.txt" in (await browser.get("/dnc")).text
    await factory.tenant("Another")  # now the lists are read-only for this company
    shown = (await browser.get("/dnc")).text
    assert "litigator" in shown  # the import itself is listed, with its version and rows
    assert "plaintiffs-2026.txt" not in shown
