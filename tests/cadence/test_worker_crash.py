"""A text is sent at most once even when the worker is killed with ``kill -9`` at any moment.

A real ``leadflow worker`` process works thousands of leads through a Twilio-compatible server
on loopback and is killed without warning, several times, wherever it happens to be: claiming,
committing, sending or recording. A fresh worker then finishes the work. The provider must have
received at most one text per lead, every text it received must have its row, every lead must
have been worked, and no row may be left ``queued`` without a provider id (it becomes
``unknown`` once its lease has passed).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select

from leadflow.clock import SystemClock
from leadflow.db.engine import create_engine, make_sessionmaker
from leadflow.models import Lead, Message
from tests.factories import Factory
from tests.support.cli import LEADFLOW, leadflow_env
from tests.support.telephony import TelephonyServer
from tests.support.waiting import eventually

pytestmark = pytest.mark.slow

LEADS = 3000
KILLS = 4
KILL_AFTER_TEXTS = 300
"""A kill comes after 1 to this many new texts: the kills together leave most leads to do."""
STARTUP_SECONDS = 120.0
FINISH_SECONDS = 600.0
"""Generous: they only bound a run that is stuck, and a loaded machine is slow, not wrong."""
ALL_DAY = {
    day: {"open": "0000", "close": "2359"}
    for day in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
}


def local_noon_zone(now: datetime) -> str:
    """A fixed-offset zone where it is about noon now, so the texts are inside calling hours
    whenever the test runs. The numbers are US toll-free: they reveal no zone of their own,
    so the lead's ``time_zone`` token decides (a mobile's own zone would also have to be open,
    and a UK mobile at 02:00 UTC is not)."""
    offset = (12 - now.hour) % 24
    offset = offset - 24 if offset > 14 else offset
    return f"Etc/GMT{-offset:+d}" if offset else "Etc/GMT"


@pytest.fixture
async def rows(database_url: str) -> AsyncIterator[Factory]:
    engine = create_engine(database_url, pool_size=1)
    try:
        yield Factory(make_sessionmaker(engine), SystemClock())
    finally:
        await engine.dispose()


async def enrol(rows: Factory) -> None:
    tenant = await rows.tenant()
    schedule = await rows.schedule(
        tenant,
        actions=[{"type": "sms", "body": "Hello [n]"}],
        calling_hours=ALL_DAY,
    )
    await rows.number(tenant, "+447911000000", ["sms"])
    now = datetime.now(UTC)
    zone = local_noon_zone(now)
    values = [
        {
            "uuid": str(uuid.uuid4()),
            "company_id": tenant.company.id,
            "offer_id": schedule.offer_id,
            "schedule_id": schedule.id,
            "caller_id": f"+1800555{n:04d}",
            "tokens": {"n": str(n), "time_zone": zone},
            "next_action_at": now - timedelta(seconds=1),
            "created_at": now,
            "updated_at": now,
        }
        for n in range(1, LEADS + 1)
    ]
    async with rows.sessionmaker() as session:
        await session.execute(insert(Lead), values)
        await session.commit()


def start_worker(database_url: str, server: TelephonyServer, log: Path) -> subprocess.Popen[bytes]:
    env = {f"LEADFLOW_{k.upper()}": str(v) for k, v in server.settings().items()}
    return subprocess.Popen(
        [str(LEADFLOW), "worker"],
        env=leadflow_env(
            database_url,
            LEADFLOW_PUBLIC_URL="http://127.0.0.1:9",
            LEADFLOW_WORKER_POLL_SECONDS="0.1",
            LEADFLOW_WORKER_LEASE_SECONDS="1",
            LEADFLOW_WORKER_BATCH_SIZE="50",
            **env,
        ),
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


async def state(rows: Factory) -> tuple[int, int, int]:
    """(messages sent, leads still due, messages queued with no provider id)."""
    async with rows.sessionmaker() as session:
        sent = await session.scalar(select(func.count()).select_from(Message))
        due = await session.scalar(
            select(func.count()).select_from(Lead).where(Lead.next_action_at.is_not(None))
        )
        stranded = await session.scalar(
            select(func.count())
            .select_from(Message)
            .where(Message.status == "queued", Message.provider_id.is_(None))
        )
    return sent or 0, due or 0, stranded or 0


async def finished(rows: Factory) -> bool:
    """Every lead worked, and no text left ``queued`` without its provider id."""
    _, due, stranded = await state(rows)
    return due == 0 and stranded == 0


async def test_texts_are_sent_at_most_once_across_kill_9(
    database_url: str, rows: Factory, telephony_server: TelephonyServer, tmp_path: Path
) -> None:
    await enrol(rows)
    log = tmp_path / "worker.log"
    for _ in range(KILLS):
        worker = start_worker(database_url, telephony_server, log)
        # Kill it somewhere in the middle of its work: once the provider has had a random
        # number of its texts, whatever the machine's speed (a slow one takes longer to get
        # there, a fast one cannot finish first: the kills together stop well short of LEADS).
        target = len(telephony_server.messages) + random.randint(1, KILL_AFTER_TEXTS)
        await eventually(
            lambda target=target: len(telephony_server.messages) >= target,
            seconds=STARTUP_SECONDS,
            every=0.002,
            why=lambda: f"the worker sent too few texts:\n{log.read_text()[-4000:]}",
        )
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
        assert (await state(rows))[1] > 0, "the worker finished before it could be killed"

    worker = start_worker(database_url, telephony_server, log)
    try:
        await eventually(
            lambda: finished(rows),
            seconds=FINISH_SECONDS,
            every=0.2,
            why=lambda: f"the fresh worker did not finish:\n{log.read_text()[-4000:]}",
        )
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)

    received = Counter(request.field("To") for request in telephony_server.messages)
    twice = {to: n for to, n in received.items() if n > 1}
    assert twice == {}, f"texted more than once: {list(twice)[:5]}"
    async with rows.sessionmaker() as session:
        messages = (await session.execute(select(Message.to_address, Message.status))).all()
        leads = (await session.execute(select(Lead.status, Lead.next_action_at))).all()
    per_lead = Counter(to for to, _ in messages)
    assert max(per_lead.values()) == 1
    assert set(received) <= set(per_lead), "a text left without a row saying so"
    assert len(per_lead) == LEADS, "some leads were never worked"
    assert all(status == "completed" and due is None for status, due in leads)
    # Accepted texts await the provider's status callbacks; the ones a killed worker never heard
    # back about are ``unknown`` (the provider may or may not have them), never sent again.
    accepted = {to for to, status in messages if status == "queued"}
    assert accepted <= set(received)
    statuses = Counter(status for _, status in messages)
    assert statuses["queued"] + statuses["unknown"] == LEADS, statuses
