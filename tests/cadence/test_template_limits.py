"""A schedule template that breaks a limit fails its one action, with a clear event on the
lead, in bounded memory; it is not tried again, the lead goes on, and every other lead's
e-mail still goes out (over real SMTP). Templates are never rendered under the write lock."""

from __future__ import annotations

import tracemalloc

import pytest
from sqlalchemy import select

from leadflow.app_state import state_of
from leadflow.cadence.job import CadenceJob
from leadflow.cadence.render import UnrenderedTemplateError
from leadflow.models import LeadEvent
from leadflow.settings import Settings
from tests.cadence.conftest import Cadence
from tests.support.smtp import SmtpSink

# 23 doublings of 10 characters: 84 MB if it were built (the body reached 280 MB).
DOUBLING_BODY = "{% set a = 'xxxxxxxxxx' %}" + "{% set a = a ~ a %}" * 23 + "{{ a }}"


@pytest.fixture
def settings(database_url: str, smtp_server: SmtpSink) -> Settings:
    return Settings(
        database_url=database_url, embedded_worker=False, db_pool_size=5, **smtp_server.settings()
    )


async def _events(cadence: Cadence, lead_id: int, kind: str) -> list[LeadEvent]:
    async with state_of(cadence.app).sessionmaker() as session:
        rows = await session.scalars(
            select(LeadEvent).where(LeadEvent.lead_id == lead_id, LeadEvent.kind == kind)
        )
        return list(rows)


async def test_a_doubling_email_body_fails_once_and_every_other_email_goes_out(
    cadence: Cadence, smtp_server: SmtpSink
) -> None:
    hostile = await cadence.schedule(
        [
            {"type": "email", "subject": "Quote", "body": DOUBLING_BODY},
            {"type": "email", "subject": "Next", "body": "Still here, [first_name]"},
        ]
    )
    other_company = await cadence.factory.tenant()
    friendly = await cadence.factory.schedule(
        other_company,
        actions=[{"type": "email", "subject": "Hello", "body": "Hi [first_name]"}],
    )
    bad = await cadence.post_lead(hostile, email="ada@example.com", first_name="Ada")
    good = await cadence.post_lead(
        friendly, email="grace@example.com", first_name="Grace", caller_id="+13125550123"
    )

    tracemalloc.start()
    try:
        await cadence.work()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert peak < 30_000_000, f"the worker built {peak} bytes"
    [failed] = await _events(cadence, bad["id"], "action_failed")
    assert failed.data["action_index"] == 0
    assert "longer than 100000 characters" in failed.data["reason"]
    [refused, sent] = await cadence.messages(bad["id"])
    assert (refused.status, sent.status) == ("failed", "sent")
    received = {(m.rcpt_tos[0], m.message["Subject"]) for m in smtp_server.messages}
    assert received == {("grace@example.com", "Hello"), ("ada@example.com", "Next")}
    assert (await cadence.lead(bad["id"])).status == "completed"
    assert (await cadence.lead(good["id"])).status == "completed"

    assert await cadence.work() == 0  # nothing left to retry
    assert len(await _events(cadence, bad["id"], "action_failed")) == 1
    assert len(smtp_server.messages) == 2


@pytest.mark.engines("sqlite")
async def test_a_template_is_never_rendered_under_the_write_lock(cadence: Cadence) -> None:
    """SQLite: a decision under the lock whose lead changed since the plan needs a render the
    plan did not make; it refuses, and the job renders it on a new snapshot instead."""
    context = state_of(cadence.app).worker_context
    assert context.snapshots is not None
    schedule = await cadence.schedule(
        [{"type": "sms", "body": "hi [first_name]"}], lead_duplicate_timeframe=3600
    )
    posted = await cadence.post_lead(schedule, first_name="Ada")
    [job] = [job for job in cadence.jobs if isinstance(job, CadenceJob)]
    now = cadence.factory.clock.now()
    planned = context.snapshots.read(lambda sql: job.plan(sql, context.settings, now))
    await cadence.post_lead(schedule, first_name="Grace")  # the same lead, new tokens

    with pytest.raises(UnrenderedTemplateError):
        await context.committer.run(
            lambda sql: job.write_planned(sql, planned, context.settings, now)
        )
    assert await cadence.messages(posted["id"]) == []

    await cadence.work()
    [message] = await cadence.messages(posted["id"])
    assert message.body == "hi Grace"
