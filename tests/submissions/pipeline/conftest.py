"""Pipeline tests: a tenant with campaigns, a real buyer on loopback, submissions inserted the
way the submit endpoint does, and the worker's job run by hand with the frozen clock."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from leadflow.app_state import state_of
from leadflow.campaigns.config import CampaignConfig
from leadflow.clock import FrozenClock
from leadflow.db.statements import Sql
from leadflow.models import Subscription, WebhookDelivery
from leadflow.models.campaign import Campaign
from leadflow.models.submission import Submission, SubmittedLead
from leadflow.settings import Settings
from leadflow.submissions.pipeline import repository
from leadflow.submissions.pipeline.job import SubmissionJob
from tests.factories import Factory, Tenant
from tests.submissions.pipeline.buyer import Answer, Buyer, serve

_codes = itertools.count(1)

ACCEPTED_JSON = Answer(200, '{"status": "success", "leadId": "B-100"}')


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        embedded_worker=False,
        db_pool_size=5,
        allow_loopback_urls=True,
    )


@pytest.fixture
def buyer() -> Iterator[Buyer]:
    with serve(Buyer()) as running:
        yield running


def json_endpoint(url: str, **overrides: Any) -> dict[str, Any]:
    """A JSON buyer reading ``status`` and ``leadId`` from its answer."""
    endpoint: dict[str, Any] = {
        "url": url,
        "payload": [
            {"clientKey": "first_name", "sourceKey": "firstName", "required": True},
            {"clientKey": "phone", "sourceKey": "phone", "required": True},
            {"clientKey": "state", "sourceKey": "address.state"},
            {"clientKey": "debt", "sourceKey": "questionnaire.debt_type"},
        ],
        "response": {"statusPath": "$.status", "leadIdPath": "$.leadId", "reasonPath": "$.reason"},
        "timeoutSeconds": 2,
        "maxRetries": 1,
    }
    endpoint.update(overrides)
    return endpoint


def person(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "firstName": "Ada",
        "lastName": "Lovelace",
        "email": "ada@example.com",
        "phone": "+12125550123",
        "address": {"street": "1 Main St", "city": "Denver", "state": "CO", "zip": "80202"},
        "dateOfBirth": "1980-05-01",
        "questionnaire": {"debt_type": "credit card"},
    }
    data.update(overrides)
    return data


@dataclass
class Pipeline:
    app: FastAPI
    factory: Factory
    tenant: Tenant
    clock: FrozenClock
    job: SubmissionJob = field(default_factory=SubmissionJob)

    async def campaign(
        self,
        *,
        status: str = "active",
        time_zone: str = "America/New_York",
        window_days: int = 30,
        **config: Any,
    ) -> Campaign:
        """A campaign whose configuration document is validated as the campaigns API does."""
        document = CampaignConfig.model_validate(config).model_dump(
            by_alias=True, mode="json", exclude_none=True
        )
        code = f"camp{next(_codes)}"
        now = self.clock.now()
        row = Campaign(
            company_id=self.tenant.company.id,
            name=code,
            code=code,
            status=status,
            time_zone=time_zone,
            duplicate_window_days=window_days,
            config=document,
            created_at=now,
            updated_at=now,
        )
        async with state_of(self.app).sessionmaker() as session:
            session.add(row)
            await session.commit()
        return row

    async def set_campaign(self, campaign: Campaign, **columns: Any) -> None:
        async with state_of(self.app).sessionmaker() as session:
            found = await session.get(Campaign, campaign.id)
            assert found is not None
            for name, value in columns.items():
                setattr(found, name, value)
            found.updated_at = self.clock.now()
            await session.commit()

    async def submit(
        self,
        campaign: Campaign,
        *,
        is_test: bool = False,
        type: str = "original",
        lead_id: int | None = None,
        **data: Any,
    ) -> dict[str, Any]:
        """Store a lead (unless ``lead_id``) and a submission due now, as the API does."""
        body = person(**data)
        now = self.clock.now()
        company_id = self.tenant.company.id

        def insert(sql: Sql) -> dict[str, Any]:
            nonlocal lead_id
            if lead_id is None:
                lead = repository.insert_submitted_lead(
                    sql,
                    now,
                    company_id=company_id,
                    campaign_id=campaign.id,
                    first_name=body.get("firstName"),
                    last_name=body.get("lastName"),
                    email=body.get("email"),
                    phone=body.get("phone"),
                    is_test=is_test,
                    data={**body, "isTest": is_test},
                )
                lead_id = lead["id"]
            return repository.insert_submission(
                sql,
                now,
                company_id=company_id,
                lead_id=lead_id,
                campaign_id=campaign.id,
                type=type,
                data={**body, "isTest": is_test},
            )

        return await state_of(self.app).committer.run(insert)

    async def work(self) -> int:
        """Run the job until a round finds nothing due, each round's deliveries recorded."""
        total = 0
        for _ in range(20):
            done = await self.job(state_of(self.app).worker_context)
            await self.job.settle()
            total += done
            if done == 0:
                return total
        raise AssertionError("the pipeline never ran out of due work")

    async def submission(self, row: dict[str, Any]) -> Submission:
        async with state_of(self.app).sessionmaker() as session:
            found = await session.get(Submission, row["id"])
            assert found is not None
            return found

    async def lead(self, row: dict[str, Any]) -> SubmittedLead:
        async with state_of(self.app).sessionmaker() as session:
            found = await session.get(SubmittedLead, row["lead_id"])
            assert found is not None
            return found

    async def subscribe(self, event: str, target_url: str) -> None:
        now = self.clock.now()
        async with state_of(self.app).sessionmaker() as session:
            session.add(
                Subscription(
                    company_id=self.tenant.company.id,
                    target_url=target_url,
                    event=event,
                    trigger_fields={},
                    secret="s3cret",
                    active=True,
                    created_at=now,
                    updated_at=now,
                )
            )
            await session.commit()

    async def webhook_payloads(self) -> list[dict[str, Any]]:
        async with state_of(self.app).sessionmaker() as session:
            rows = await session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id))
            return [
                orjson.loads(row.payload) if isinstance(row.payload, str) else row.payload
                for row in rows
            ]


@pytest.fixture
async def pipeline(app: FastAPI, factory: Factory, clock: FrozenClock) -> AsyncIterator[Pipeline]:
    tenant = await factory.tenant()
    running = Pipeline(app, factory, tenant, clock)
    yield running
    await running.job.aclose()  # its kept-alive connections to the test's buyers
