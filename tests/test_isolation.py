"""One company never sees, changes or deletes another's rows.

The routes are read from the app itself: every company-API route (Basic auth) with a path
parameter is tried with a second company's credentials and must answer 404 in the TrackDrive
envelope. A new resource whose routes take an id fails ``test_every_id_route_has_a_maker``
until it is added to ``MAKERS`` below, so no resource ships without this proof.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from leadflow.app import create_app
from leadflow.kit.auth import BASIC_AUTH
from leadflow.settings import Settings
from tests.factories import Factory, Tenant

API = "/api/v1/"
PARAMETER = re.compile(r"\{[^}]+\}")
UNDOCUMENTED_METHODS = {"HEAD", "OPTIONS"}
CALLER_ID = "+18005550199"


@dataclass(frozen=True)
class Row:
    """A's row as B would name it in a path, and the strings that would betray it in an answer."""

    refs: tuple[str, ...]
    markers: tuple[str, ...]
    id: int | None = None


@dataclass(frozen=True)
class CompanyRoute:
    path: str
    methods: frozenset[str]

    @property
    def resource(self) -> str:
        return self.path.removeprefix(API).split("/")[0]

    @property
    def takes_id(self) -> bool:
        return PARAMETER.search(self.path) is not None

    def url(self, ref: str) -> str:
        return PARAMETER.sub(ref, self.path, count=1)


def _uses_basic_auth(dependant: Dependant) -> bool:
    return dependant.call is BASIC_AUTH or any(
        _uses_basic_auth(sub) for sub in dependant.dependencies
    )


def company_routes(app: FastAPI) -> list[CompanyRoute]:
    """Every ``/api/v1/`` route that answers company credentials (Basic auth)."""
    found: dict[str, set[str]] = {}
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        path = context.path
        if not isinstance(route, APIRoute) or path is None or not path.startswith(API):
            continue
        if _uses_basic_auth(route.dependant):
            found.setdefault(path, set()).update(set(route.methods) - UNDOCUMENTED_METHODS)
    return [CompanyRoute(path, frozenset(methods)) for path, methods in sorted(found.items())]


def _row(record: dict[str, Any], *markers: str) -> Row:
    uuid = record.get("uuid")
    refs = (str(record["id"]), uuid) if uuid else (str(record["id"]),)
    return Row(refs=refs, markers=tuple(m for m in (uuid, *markers) if m), id=record["id"])


async def _created(response: httpx.Response, root: str) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    record: dict[str, Any] = response.json()[root]
    return record


Maker = Callable[[Factory, httpx.AsyncClient, Tenant], Awaitable[Row]]


async def make_offer(factory: Factory, client: httpx.AsyncClient, a: Tenant) -> Row:
    offer = await factory.offer(a, name="Offer of company A")
    return Row((str(offer.id), offer.uuid), (offer.uuid, offer.leads_api_key), offer.id)


async def make_schedule(factory: Factory, client: httpx.AsyncClient, a: Tenant) -> Row:
    schedule = await factory.schedule(a, name="Schedule of company A")
    return Row(
        (str(schedule.id), schedule.uuid), (schedule.uuid, schedule.leads_api_key), schedule.id
    )


async def make_traffic_source(factory: Factory, client: httpx.AsyncClient, a: Tenant) -> Row:
    source = await factory.traffic_source(a, name="Publisher of company A")
    return Row((str(source.id), source.uuid), (source.uuid, "Publisher of company A"), source.id)


async def make_number(factory: Factory, client: httpx.AsyncClient, a: Tenant) -> Row:
    number = await factory.number(a, "+18005550142")
    return Row((str(number.id), number.uuid), (number.uuid, "8005550142"), number.id)


async def make_subscription(factory: Factory, client: httpx.AsyncClient, a: Tenant) -> Row:
    answer = await client.post(
        "/api/v1/subscriptions",
        json={"target_url": "https://hooks.example.com/company-a", "event": "new_lead"},
        headers=a.auth,
    )
    record = await _created(answer, "subscription")
    return _row(record, "company-a", record["secret"])


async def make_api_key(factory: Factory, client: httpx.AsyncClient, a: Tenant) -> Row:
    answer = await client.post(
        "/api/v1/api_keys",
        json={"name": "Key of company A", "permissions": {"offers": ["read"]}},
        headers=a.auth,
    )
    record = await _created(answer, "api_key")
    return _row(record, record["public_key"], "Key of company A")


async def _lead_of_company_a(factory: Factory, client: httpx.AsyncClient, a: Tenant) -> Row:
    schedule = await factory.schedule(a)
    answer = await client.post(
        "/api/v1/leads",
        json={
            "lead_token": schedule.leads_api_key,
            "caller_id": CALLER_ID,
            "email": "caller-of-a@example.com",
            "blocked": True,
        },
    )
    record = await _created(answer, "lead")
    return _row(record, "8005550199", "caller-of-a@example.com")


async def make_contact(factory: Factory, client: httpx.AsyncClient, a: Tenant) -> Row:
    """Contacts are named by caller id: A's blocked caller, who is on A's suppression list.

    The number itself is no marker: B may name it, and its own contact for it shows it."""
    lead = await _lead_of_company_a(factory, client, a)
    contact = await _created(
        await client.get(f"/api/v1/contacts/{CALLER_ID}", headers=a.auth), "contact"
    )
    markers = tuple(m for m in lead.markers if m != "8005550199")
    return Row((CALLER_ID, CALLER_ID.removeprefix("+1")), markers, contact["id"])


async def make_scheduled_callback(factory: Factory, client: httpx.AsyncClient, a: Tenant) -> Row:
    schedule = await factory.schedule(a)
    posted = await client.post(
        "/api/v1/leads", json={"lead_token": schedule.leads_api_key, "caller_id": CALLER_ID}
    )
    lead = await _created(posted, "lead")
    answer = await client.post(
        "/api/v1/scheduled_callbacks",
        json={"lead_id": lead["id"], "place_call_at": "2026-01-06 10:00:00 -0500"},
        headers=a.auth,
    )
    return _row(await _created(answer, "scheduled_callback"))


async def make_call(factory: Factory, client: httpx.AsyncClient, a: Tenant) -> Row:
    schedule = await factory.schedule(a)
    await factory.number(a, "+18005550100", ["voice"])  # the caller ID
    answer = await client.post(
        "/api/v1/schedules/make_call",
        json={"schedule_id": schedule.id, "to": CALLER_ID},
        headers=a.auth,
    )
    return _row(await _created(answer, "call"))


# Blocking is per company: B blocking a number A also knows acts on B's own contact for it
# (created if need be). It must answer B's record, never A's, and leave A's as it was.
ACTS_ON_OWN_COMPANY = {
    ("POST", "/api/v1/contacts/{caller_id}/caller_block"),
    ("POST", "/api/v1/contacts/{caller_id}/caller_unblock"),
    ("POST", "/api/v1/contacts/{caller_id}/caller_opt_in"),
}

# How to make one row of company A, per resource (the first path segment after /api/v1/).
MAKERS: dict[str, Maker] = {
    "offers": make_offer,
    "schedules": make_schedule,
    "traffic_sources": make_traffic_source,
    "numbers": make_number,
    "subscriptions": make_subscription,
    "api_keys": make_api_key,
    "leads": _lead_of_company_a,
    "contacts": make_contact,
    "scheduled_callbacks": make_scheduled_callback,
    "calls": make_call,
}


@pytest.fixture(scope="module")
def routed() -> list[CompanyRoute]:
    """The routes as the app declares them; reading them needs no database."""
    return company_routes(
        create_app(Settings(database_url="sqlite:///unused.db", embedded_worker=False))
    )


# Resources whose paths name a phone number, not a row: each company keeps its own entry for
# the same number, so they have a test of their own below instead of a maker.
NAMED_BY_NUMBER = {"dnc"}


def test_every_id_route_has_a_maker(routed: list[CompanyRoute]) -> None:
    with_ids = [route for route in routed if route.takes_id]
    assert len(with_ids) >= 6
    covered = MAKERS.keys() | NAMED_BY_NUMBER
    assert sorted({route.path for route in with_ids if route.resource not in covered}) == []


async def _internally_listed(client: httpx.AsyncClient, tenant: Tenant) -> bool:
    answer = await client.get(
        "/api/v1/dnc/check", params={"number": CALLER_ID}, headers=tenant.auth
    )
    assert answer.status_code == 200, answer.text
    return "internal" in {hit["name"] for hit in answer.json()["dnc_check"]["lists"]}


async def test_each_company_keeps_its_own_internal_do_not_call_list(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    a, b = await factory.tenant("Company A"), await factory.tenant("Company B")
    added = await client.post(f"/api/v1/dnc/internal/{CALLER_ID}", headers=a.auth)
    assert added.status_code == 200, added.text
    assert await _internally_listed(client, a)
    assert not await _internally_listed(client, b)

    removed_by_b = await client.delete(f"/api/v1/dnc/internal/{CALLER_ID}", headers=b.auth)
    assert removed_by_b.status_code == 200, removed_by_b.text
    assert await _internally_listed(client, a), "company B's removal took A's number off A's list"

    await client.post(f"/api/v1/dnc/internal/{CALLER_ID}", headers=b.auth)
    await client.delete(f"/api/v1/dnc/internal/{CALLER_ID}", headers=a.auth)
    assert not await _internally_listed(client, a)
    assert await _internally_listed(client, b), "company A's removal took B's number off B's list"


def _refuses_as_not_found(response: httpx.Response, row: Row, what: str) -> None:
    assert response.status_code == 404, f"{what}: {response.status_code} {response.text}"
    body = response.json()
    assert body["status"] == 404, what
    assert body["errors"], what
    assert all(isinstance(messages, list) for messages in body["errors"].values()), what
    _betrays_nothing(response, row, what)


def _betrays_nothing(response: httpx.Response, row: Row, what: str) -> None:
    leaked = [marker for marker in row.markers if marker in response.text]
    assert leaked == [], f"{what} shows company A's row: {response.text}"


def _answers_its_own_record(response: httpx.Response, row: Row, what: str) -> None:
    assert response.status_code < 500, f"{what}: {response.status_code} {response.text}"
    body = response.json()
    record = body.get(body.get("metadata", {}).get("root"))
    if isinstance(record, dict):
        assert record.get("id") != row.id, f"{what} answered company A's record"
    _betrays_nothing(response, row, what)


def _listed_ids(body: dict[str, Any]) -> set[int]:
    root = body.get("metadata", {}).get("root")
    items = body.get(root, []) if isinstance(root, str) else []
    return {item["id"] for item in items if isinstance(item, dict) and "id" in item}


async def _call(
    client: httpx.AsyncClient, method: str, url: str, auth: dict[str, str]
) -> httpx.Response:
    body = {"json": {}} if method in {"POST", "PUT", "PATCH"} else {}
    return await client.request(method, url, headers=auth, **body)  # type: ignore[arg-type]


@pytest.mark.parametrize("resource", sorted(MAKERS))
async def test_another_company_gets_404_and_never_sees_the_row(
    resource: str,
    routed: list[CompanyRoute],
    client: httpx.AsyncClient,
    factory: Factory,
) -> None:
    routes = [route for route in routed if route.resource == resource]
    if not routes:
        pytest.skip(f"/api/v1/{resource} has no company routes yet")
    a, b = await factory.tenant("Company A"), await factory.tenant("Company B")
    row = await MAKERS[resource](factory, client, a)
    shown_to_a = {
        route.path: (await client.get(route.url(row.refs[0]), headers=a.auth)).text
        for route in routes
        if route.takes_id and "GET" in route.methods
    }

    # Reads first, writes after: a DELETE that leaked would hide a GET that leaked too.
    order = ("GET", "PUT", "PATCH", "POST", "DELETE")
    for method in order:
        for route in routes:
            if not route.takes_id or method not in route.methods:
                continue
            for ref in row.refs:
                what = f"{method} {route.url(ref)} as company B"
                answer = await _call(client, method, route.url(ref), b.auth)
                if (method, route.path) in ACTS_ON_OWN_COMPANY:
                    _answers_its_own_record(answer, row, what)
                else:
                    _refuses_as_not_found(answer, row, what)

    for route in routes:
        if route.takes_id or "GET" not in route.methods:
            continue
        as_b = await client.get(route.path, headers=b.auth)
        assert as_b.status_code == 200, as_b.text
        _betrays_nothing(as_b, row, f"GET {route.path} as company B")
        assert row.id is None or row.id not in _listed_ids(as_b.json()), route.path
        if row.id is not None and route.path == f"{API}{resource}":
            assert row.id in _listed_ids((await client.get(route.path, headers=a.auth)).json())

    for path, before in shown_to_a.items():
        after = await client.get(PARAMETER.sub(row.refs[0], path, count=1), headers=a.auth)
        assert after.text == before, f"company B's calls changed A's row at {path}"
