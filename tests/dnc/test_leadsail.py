"""LeadSail: a campaign may disqualify a phone on a do-not-call list (off unless set), and a
lead it enrols in a schedule carries the submission's written consent to the schedule."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from leadflow.app_state import state_of
from leadflow.clock import FrozenClock
from leadflow.models import Lead, LeadStatus
from leadflow.settings import Settings
from tests.dnc.test_checks import import_list
from tests.factories import Factory
from tests.submissions.pipeline.buyer import Buyer, serve
from tests.submissions.pipeline.conftest import ACCEPTED_JSON, Pipeline, json_endpoint

PHONE = "+12125550123"
CONSENT = {"tcpaConsent": True, "tcpaConsentTimestamp": "2026-01-02T03:04:05Z"}


@pytest.fixture
def settings(database_url: str, dnc_dir: Path) -> Settings:
    return Settings(
        database_url=database_url,
        embedded_worker=False,
        db_pool_size=5,
        allow_loopback_urls=True,
        dnc_dir=dnc_dir,
        dnc_refresh_seconds=0,
    )


@pytest.fixture
def buyer() -> Iterator[Buyer]:
    with serve(Buyer()) as running:
        yield running


@pytest.fixture
async def pipeline(app: FastAPI, factory: Factory, clock: FrozenClock) -> AsyncIterator[Pipeline]:
    running = Pipeline(app, factory, await factory.tenant(), clock)
    yield running
    await running.job.aclose()


async def test_a_campaign_set_to_disqualify_turns_away_a_listed_phone(
    app: FastAPI, pipeline: Pipeline, buyer: Buyer, clock: FrozenClock, dnc_dir: Path
) -> None:
    await import_list(app, clock, dnc_dir, "litigator", PHONE)
    url = buyer.on("/buy", ACCEPTED_JSON)
    strict = await pipeline.campaign(endpoint=json_endpoint(url), dnc={"disqualify": True})
    lenient = await pipeline.campaign(endpoint=json_endpoint(url))
    turned_away = await pipeline.submit(strict)
    delivered = await pipeline.submit(lenient, email="grace@example.com")
    await pipeline.work()
    submission = await pipeline.submission(turned_away)
    assert submission.status == "disqualified"
    step = next(s for s in submission.steps if s["step"] == "disqualification")
    assert step["reason"] == "the phone is on the litigator (version 1) do-not-call list"
    assert (await pipeline.submission(delivered)).status == "delivered"
    assert len(buyer.received("/buy")) == 1


async def test_a_campaign_may_leave_a_list_out_or_accept_written_consent(
    app: FastAPI, pipeline: Pipeline, buyer: Buyer, clock: FrozenClock, dnc_dir: Path
) -> None:
    await import_list(app, clock, dnc_dir, "federal", PHONE)
    url = buyer.on("/buy", ACCEPTED_JSON)
    no_federal = await pipeline.campaign(
        endpoint=json_endpoint(url), dnc={"disqualify": True, "lists": {"federal": False}}
    )
    consent = await pipeline.campaign(
        endpoint=json_endpoint(url),
        window_days=0,
        dnc={"disqualify": True, "exemptWrittenConsent": True},
    )
    first = await pipeline.submit(no_federal)
    second = await pipeline.submit(consent, email="grace@example.com", compliance=CONSENT)
    third = await pipeline.submit(consent, email="alan@example.com", phone=PHONE)
    await pipeline.work()
    statuses = [(await pipeline.submission(row)).status for row in (first, second, third)]
    assert statuses == ["delivered", "delivered", "disqualified"]


async def test_an_enrolled_lead_on_a_list_is_stored_dnc_unless_the_submission_consented(
    app: FastAPI, pipeline: Pipeline, buyer: Buyer, clock: FrozenClock, dnc_dir: Path
) -> None:
    await import_list(app, clock, dnc_dir, "federal", PHONE, "+12125550124")
    schedule = await pipeline.factory.schedule(
        pipeline.tenant,
        actions=[{"type": "sms", "body": "hi"}],
        dnc_settings={"exempt_written_consent": True},
    )
    campaign = await pipeline.campaign(
        endpoint=json_endpoint(buyer.on("/buy", ACCEPTED_JSON)),
        firstSubmissionAction={"scheduleId": schedule.id},
    )
    await pipeline.submit(campaign, compliance=CONSENT)
    await pipeline.submit(campaign, phone="+12125550124", email="grace@example.com")
    await pipeline.work()
    async with state_of(app).sessionmaker() as session:
        leads = {lead.caller_id: lead for lead in (await session.scalars(select(Lead))).all()}
    assert leads[PHONE].status == LeadStatus.SCHEDULED
    assert leads[PHONE].tokens["tcpa_consent"] is True
    assert leads["+12125550124"].status == LeadStatus.DNC
