"""Web app fixtures: a browser-like client (HTTPS, so the Secure cookie is kept) and users."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from itertools import count

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from leadflow.app_state import state_of
from leadflow.companies.repository import CompanyRepository
from leadflow.settings import Settings
from leadflow.users.repository import UserRepository
from leadflow.users.service import create_user
from tests.factories import Factory, Tenant

PASSWORD = "correct horse battery staple"
_emails = count(1)
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        embedded_worker=False,
        db_pool_size=5,
        session_secret=SecretStr("test-secret-for-signing-sessions"),
        login_failure_seconds=0.3,
    )


@pytest.fixture
async def browser(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://leadflow.test") as http:
        yield http


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "the page has no CSRF token"
    return found.group(1)


@dataclass
class Person:
    tenant: Tenant
    email: str
    password: str = PASSWORD


async def make_person(app: FastAPI, tenant: Tenant) -> Person:
    email = f"user{next(_emails)}@example.com"
    async with state_of(app).sessionmaker() as session:
        await create_user(
            UserRepository(session),
            CompanyRepository(session),
            state_of(app).clock,
            tenant.company.id,
            email,
            PASSWORD,
        )
        await session.commit()
    return Person(tenant, email)


async def sign_in(client: httpx.AsyncClient, person: Person) -> httpx.Response:
    form = await client.get("/login")
    return await client.post(
        "/login",
        data={
            "csrf_token": csrf_of(form.text),
            "email": person.email,
            "password": person.password,
            "next": "/",
        },
    )


async def post_form(
    client: httpx.AsyncClient, page_url: str, action: str, data: dict[str, str]
) -> httpx.Response:
    """Open ``page_url`` as a browser would, then submit ``data`` with its CSRF token."""
    opened = await client.get(page_url)
    assert opened.status_code == 200, opened.text
    return await client.post(action, data={"csrf_token": csrf_of(opened.text), **data})


@pytest.fixture
async def person(app: FastAPI, factory: Factory) -> Person:
    return await make_person(app, await factory.tenant())


@pytest.fixture
async def signed_in(browser: httpx.AsyncClient, person: Person) -> Person:
    answer = await sign_in(browser, person)
    assert answer.status_code == 303, answer.text
    return person
