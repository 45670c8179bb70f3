"""``record_call_status`` and ``record_message_status`` as the cadence calls them, over the
``Sql`` protocol inside one transaction."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from fastapi import FastAPI
from sqlalchemy.engine import Connection

from leadflow.app_state import state_of
from leadflow.calls.status import record_call_status, record_message_status
from leadflow.clock import FrozenClock
from leadflow.db.statements import ConnectionSql, Sql
from leadflow.models import Call, CallEvent, Lead, LeadEvent, LeadStatus, Message
from tests.factories import Factory
from tests.telephony.builders import Builder

T = TypeVar("T")
CALLER = "+17193132645"


async def _in_transaction(app: FastAPI, work: Callable[[Sql], T]) -> T:
    def run(connection: Connection) -> T:
        return work(ConnectionSql(connection))

    async with state_of(app).engine.begin() as connection:
        return await connection.run_sync(run)


async def test_a_simulated_answered_call_ends_at_once_and_counts_as_connected(
    app: FastAPI, factory: Factory, clock: FrozenClock
) -> None:
    build = Builder(factory)
    tenant = await factory.tenant()
    lead = await build.lead(
        tenant, await factory.schedule(tenant), CALLER, LeadStatus.RUNNING, next_action_at=None
    )
    call = await build.call(lead)
    changed = await _in_transaction(
        app,
        lambda sql: record_call_status(
            sql, call_id=call.id, status="completed", now=clock.now(), duration=30, answered=True
        ),
    )
    assert changed is True
    stored = await build.one(Call, Call.id == call.id)
    assert (stored.answered_at, stored.ended_at, stored.duration) == (clock.now(), clock.now(), 30)
    (event,) = await build.rows(CallEvent)
    assert event.data == {
        "status": "completed",
        "duration": 30,
        "provider_id": None,
        "answered": True,
    }
    lead_now = await build.one(Lead, Lead.id == lead.id)
    assert (lead_now.status, lead_now.calls_connected) == (LeadStatus.SCHEDULED, 1)
    (ended,) = await build.rows(LeadEvent)
    assert ended.data == {"call_id": call.id, "status": "completed", "duration": 30}


async def test_a_lead_that_ended_during_the_call_stays_ended(
    app: FastAPI, factory: Factory, clock: FrozenClock
) -> None:
    build = Builder(factory)
    tenant = await factory.tenant()
    lead = await build.lead(
        tenant, await factory.schedule(tenant), CALLER, LeadStatus.OPT_OUT, next_action_at=None
    )
    call = await build.call(lead)
    await _in_transaction(
        app,
        lambda sql: record_call_status(sql, call_id=call.id, status="busy", now=clock.now()),
    )
    stored = await build.one(Lead, Lead.id == lead.id)
    assert (stored.status, stored.next_action_at, stored.calls_connected) == (
        LeadStatus.OPT_OUT,
        None,
        0,
    )


async def test_unknown_statuses_and_calls_change_nothing(
    app: FastAPI, factory: Factory, clock: FrozenClock
) -> None:
    build = Builder(factory)
    tenant = await factory.tenant()
    call = await build.call(await build.lead(tenant, await factory.schedule(tenant), CALLER))

    def attempts(sql: Sql) -> list[bool]:
        return [
            record_call_status(sql, call_id=call.id, status="exploded", now=clock.now()),
            record_call_status(sql, call_id=call.id + 1000, status="busy", now=clock.now()),
            record_call_status(sql, call_id=call.id, status="queued", now=clock.now()),
        ]

    assert await _in_transaction(app, attempts) == [False, False, False]
    assert await build.rows(CallEvent) == []


async def test_a_message_moves_only_forward_and_keeps_its_first_sent_time(
    app: FastAPI, factory: Factory, clock: FrozenClock
) -> None:
    build = Builder(factory)
    tenant = await factory.tenant()
    message = await build.message(await build.lead(tenant, await factory.schedule(tenant), CALLER))
    first = clock.now()

    def send(status: str) -> Callable[[Sql], bool]:
        return lambda sql: record_message_status(
            sql, message_id=message.id, status=status, now=clock.now(), provider_id="SM9"
        )

    assert await _in_transaction(app, send("sent")) is True
    clock.advance(seconds=10)
    assert await _in_transaction(app, send("delivered")) is True
    assert await _in_transaction(app, send("failed")) is False
    stored = await build.one(Message, Message.id == message.id)
    assert (stored.status, stored.sent_at, stored.provider_id) == ("delivered", first, "SM9")
