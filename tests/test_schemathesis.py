"""Schemathesis against the live app: whatever the contract allows a client to send, the app
answers without a 5xx and with a body the contract describes.

Runs on SQLite only (it does not use the parametrised ``database_url`` fixture): the contract
is engine-independent, the endpoints' SQL is already exercised on both engines by their own
tests, and a second pass on PostgreSQL would double the minutes this file costs.
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.python import asgi

from leadflow.app import create_app
from leadflow.clock import FrozenClock
from leadflow.companies.repository import CompanyRepository
from leadflow.companies.service import issue_api_key
from leadflow.db.engine import create_engine, make_sessionmaker
from leadflow.models import Subscription
from leadflow.settings import Settings
from tests.factories import Factory, Tenant
from tests.support.databases import fresh_sqlite

pytestmark = pytest.mark.slow

EXAMPLES_PER_OPERATION = 25
BASE_URL = "http://testserver"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _aimed(generated: object) -> bool:
    """Two cases in three are aimed; which ones is a hash of the generated value, so that a
    failing example replays the same."""
    return zlib.crc32(repr(generated).encode()) % 3 > 0


@dataclass
class Seeded:
    tenant: Tenant
    lead_token: str
    kept_offer_id: int
    # Real refs per resource (the path segment after /api/v1/) that cases may change or delete.
    refs: dict[str, list[str]]

    def aim(self, case: schemathesis.Case) -> None:
        """Point part of the generated cases at real rows and a real lead token, so updates,
        deletes and intake get past the 404 or 401 and into the code behind them."""
        resource = case.path.split("/")[3] if case.path.count("/") >= 3 else ""
        ref = (case.path_parameters or {}).get("ref")
        real = self.refs.get(resource)
        if ref is not None and real and _aimed(ref):
            pick = real[zlib.crc32(str(ref).encode()) % len(real)]
            case.path_parameters = {**case.path_parameters, "ref": pick}
        if isinstance(case.body, dict) and "offer_id" in case.body and _aimed(case.body):
            case.body = {**case.body, "offer_id": self.kept_offer_id}
        if resource == "leads":
            if isinstance(case.body, dict):
                case.body = {**case.body, "lead_token": self.lead_token}
            else:
                case.query = {**(case.query or {}), "lead_token": self.lead_token}


@dataclass
class Live:
    app: FastAPI
    seeded: Seeded


async def _seed(database_url: str, clock: FrozenClock) -> Seeded:
    """A tenant with rows of each resource that cases may change or delete, and rows they
    never target: the schedule whose lead token intake uses (under its own offer) and the
    tenant's own key pair, which must keep working for the rest of the run."""
    engine = create_engine(database_url, 1)
    try:
        sessionmaker = make_sessionmaker(engine)
        factory = Factory(sessionmaker, clock)
        tenant = await factory.tenant("Contract Co")
        kept = await factory.schedule(tenant)
        schedule = await factory.schedule(tenant)
        offer = await factory.offer(tenant)
        source = await factory.traffic_source(tenant)
        number = await factory.number(tenant, "+18004506787")
        async with sessionmaker() as session:
            now = clock.now()
            subscription = Subscription(
                company_id=tenant.company.id,
                target_url="https://hooks.example.com/leadflow",
                event="new_lead",
                trigger_fields={"schedule_id": schedule.id},
                secret="whsec_seed",
                created_at=now,
                updated_at=now,
            )
            session.add(subscription)
            spare = await issue_api_key(
                CompanyRepository(session), clock, tenant.company.id, "spare", {"*": ["read"]}
            )
            await session.commit()
        refs = {
            "offers": [str(offer.id), offer.uuid],
            "schedules": [str(schedule.id), schedule.uuid],
            "traffic_sources": [str(source.id), source.uuid],
            "numbers": [str(number.id)],
            "subscriptions": [str(subscription.id), subscription.uuid],
            "api_keys": [str(spare.row.id)],
        }
        return Seeded(tenant, kept.leads_api_key, kept.offer_id, refs)
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
def live(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    clock = FrozenClock()
    url = fresh_sqlite(sqlite_template, tmp_path_factory.mktemp("schemathesis"))
    seeded = asyncio.run(_seed(url, clock))
    app = create_app(Settings(database_url=url, embedded_worker=False, db_pool_size=2), clock)
    yield Live(app, seeded)
    # Schemathesis started the app's lifespan on its own event loop thread; stop it there.
    asgi.shutdown_lifespans()


# The contract does not depend on the database, so it is read from an app that never opens
# one; the cases are then sent to the live app. (A lazy ``from_fixture`` schema would avoid
# this, but schemathesis's lazy loader relies on a pytest internal that pytest 9 removed.)
CONTRACT = schemathesis.openapi.from_dict(
    create_app(Settings(database_url="sqlite:///unused.db", embedded_worker=False)).openapi()
)


@CONTRACT.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_api_keeps_its_contract(case: schemathesis.Case, live: Live) -> None:
    live.seeded.aim(case)
    case.call_and_validate(
        app=live.app, base_url=BASE_URL, headers=live.seeded.tenant.auth, checks=CHECKS
    )
