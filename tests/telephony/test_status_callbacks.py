"""Call and message status callbacks from a Twilio-compatible provider."""

from __future__ import annotations

from datetime import timedelta

import pytest

from leadflow.clock import FrozenClock
from leadflow.models import (
    Call,
    CallEvent,
    Lead,
    LeadEvent,
    LeadStatus,
    Message,
    WebhookDelivery,
)
from tests.factories import Factory, Tenant
from tests.telephony.builders import Builder, Provider

CALLER = "+17193132645"


@pytest.fixture
async def tenant(factory: Factory) -> Tenant:
    return await factory.tenant()


async def _running_call(factory: Factory, build: Builder, tenant: Tenant) -> tuple[Lead, Call]:
    schedule = await factory.schedule(tenant)
    lead = await build.lead(tenant, schedule, CALLER, LeadStatus.RUNNING, next_action_at=None)
    return lead, await build.call(lead)


def _path(call: Call) -> str:
    return f"/api/v1/telephony/twilio/calls/{call.uuid}/status"


async def test_signed_callbacks_move_the_call_and_record_each_status(
    factory: Factory, build: Builder, provider: Provider, tenant: Tenant, clock: FrozenClock
) -> None:
    lead, call = await _running_call(factory, build, tenant)
    for status in ("ringing", "in-progress"):
        answer = await provider.post(_path(call), {"CallSid": "CA1", "CallStatus": status})
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"].startswith("text/xml")
        assert "<Response/>" in answer.text
        clock.advance(seconds=5)
    done = {"CallSid": "CA1", "CallStatus": "completed", "CallDuration": "42"}
    assert (await provider.post(_path(call), done)).status_code == 200

    stored = await build.one(Call, Call.id == call.id)
    assert (stored.status, stored.provider_id, stored.duration) == ("completed", "CA1", 42)
    assert stored.answered_at == clock.now() - timedelta(seconds=5)
    assert stored.ended_at == clock.now()
    events = await build.rows(CallEvent, CallEvent.call_id == call.id)
    assert [e.data["status"] for e in events] == ["ringing", "in-progress", "completed"]
    assert events[-1].data["duration"] == 42
    assert (await build.one(Lead, Lead.id == lead.id)).calls_connected == 1


async def test_the_final_status_lets_the_running_lead_go_on_with_its_schedule(
    factory: Factory, build: Builder, provider: Provider, tenant: Tenant, clock: FrozenClock
) -> None:
    lead, call = await _running_call(factory, build, tenant)
    await build.subscription(tenant, "call_ended")
    await provider.post(_path(call), {"CallSid": "CA2", "CallStatus": "no-answer"})

    stored = await build.one(Lead, Lead.id == lead.id)
    assert (stored.status, stored.next_action_at) == (LeadStatus.SCHEDULED, clock.now())
    assert stored.calls_connected == 0
    (event,) = await build.rows(LeadEvent, LeadEvent.lead_id == lead.id)
    assert (event.kind, event.data["status"]) == ("call_ended", "no-answer")
    (delivery,) = await build.rows(WebhookDelivery, WebhookDelivery.event == "call_ended")
    assert delivery.payload["data"]["uuid"] == call.uuid
    assert delivery.payload["data"]["tokens"] == {"first_name": "Ada"}


async def test_duplicate_and_late_callbacks_change_nothing(
    factory: Factory, build: Builder, provider: Provider, tenant: Tenant
) -> None:
    lead, call = await _running_call(factory, build, tenant)
    await build.subscription(tenant, "call_ended")
    done = {"CallSid": "CA3", "CallStatus": "completed", "CallDuration": "7"}
    assert (await provider.post(_path(call), done)).status_code == 200
    assert (await provider.post(_path(call), done)).status_code == 200
    late = {"CallSid": "CA3", "CallStatus": "ringing"}
    assert (await provider.post(_path(call), late)).status_code == 200

    stored = await build.one(Call, Call.id == call.id)
    assert (stored.status, stored.duration) == ("completed", 7)
    assert len(await build.rows(CallEvent, CallEvent.call_id == call.id)) == 1
    assert len(await build.rows(WebhookDelivery)) == 1
    assert (await build.one(Lead, Lead.id == lead.id)).calls_connected == 1


async def test_a_status_older_than_the_stored_one_is_ignored(
    factory: Factory, build: Builder, provider: Provider, tenant: Tenant
) -> None:
    _, call = await _running_call(factory, build, tenant)
    await provider.post(_path(call), {"CallSid": "CA4", "CallStatus": "in-progress"})
    await provider.post(_path(call), {"CallSid": "CA4", "CallStatus": "ringing"})
    assert (await build.one(Call, Call.id == call.id)).status == "in-progress"


@pytest.mark.parametrize("signature", ["", "d3Jvbmc="])
async def test_a_missing_or_bad_signature_is_403_and_changes_nothing(
    factory: Factory, build: Builder, provider: Provider, tenant: Tenant, signature: str
) -> None:
    lead, call = await _running_call(factory, build, tenant)
    done = {"CallSid": "CA5", "CallStatus": "completed", "CallDuration": "9"}
    answer = await provider.post(_path(call), done, signature=signature)
    assert answer.status_code == 403
    assert answer.json()["error_code"] == "forbidden"
    assert (await build.one(Call, Call.id == call.id)).status == "queued"
    assert await build.rows(CallEvent) == []
    assert (await build.one(Lead, Lead.id == lead.id)).status == LeadStatus.RUNNING


async def test_a_signature_made_with_another_token_is_refused(
    factory: Factory, build: Builder, provider: Provider, tenant: Tenant
) -> None:
    _, call = await _running_call(factory, build, tenant)
    forger = Provider(provider.client, token="not-the-token")
    answer = await forger.post(_path(call), {"CallSid": "CA6", "CallStatus": "busy"})
    assert answer.status_code == 403
    assert (await build.one(Call, Call.id == call.id)).status == "queued"


async def test_an_unknown_call_is_404(provider: Provider) -> None:
    path = "/api/v1/telephony/twilio/calls/00000000-0000-0000-0000-000000000000/status"
    answer = await provider.post(path, {"CallSid": "CA7", "CallStatus": "completed"})
    assert answer.status_code == 404


async def test_asking_for_json_answers_what_was_recorded(
    factory: Factory, build: Builder, provider: Provider, tenant: Tenant
) -> None:
    _, call = await _running_call(factory, build, tenant)
    provider.client.headers["Accept"] = "application/json"
    answer = await provider.post(_path(call), {"CallSid": "CA8", "CallStatus": "ringing"})
    assert answer.json()["callback"] == {"uuid": call.uuid, "status": "ringing", "recorded": True}


async def test_message_callbacks_mark_it_sent_then_delivered_once(
    factory: Factory, build: Builder, provider: Provider, tenant: Tenant, clock: FrozenClock
) -> None:
    schedule = await factory.schedule(tenant)
    lead = await build.lead(tenant, schedule, CALLER)
    message = await build.message(lead)
    path = f"/api/v1/telephony/twilio/messages/{message.uuid}/status"
    sent_at = clock.now()
    await provider.post(path, {"MessageSid": "SM1", "MessageStatus": "sent"})
    clock.advance(seconds=3)
    await provider.post(path, {"MessageSid": "SM1", "MessageStatus": "delivered"})
    await provider.post(path, {"MessageSid": "SM1", "MessageStatus": "sent"})

    stored = await build.one(Message, Message.id == message.id)
    assert (stored.status, stored.provider_id, stored.sent_at) == ("delivered", "SM1", sent_at)


async def test_a_failed_message_keeps_the_providers_error_code(
    factory: Factory, build: Builder, provider: Provider, tenant: Tenant
) -> None:
    schedule = await factory.schedule(tenant)
    message = await build.message(await build.lead(tenant, schedule, CALLER))
    path = f"/api/v1/telephony/twilio/messages/{message.uuid}/status"
    failed = {"MessageSid": "SM2", "MessageStatus": "undelivered", "ErrorCode": "30006"}
    assert (await provider.post(path, failed)).status_code == 200
    stored = await build.one(Message, Message.id == message.id)
    assert (stored.status, stored.error, stored.sent_at) == ("undelivered", "30006", None)


async def test_an_absurdly_long_provider_id_is_cut_to_fit_rather_than_failing(
    factory: Factory, build: Builder, provider: Provider, tenant: Tenant
) -> None:
    _lead, call = await _running_call(factory, build, tenant)
    sid = "CA" + "9" * 300
    answer = await provider.post(_path(call), {"CallSid": sid, "CallStatus": "ringing"})
    assert answer.status_code == 200, answer.text
    assert (await build.one(Call, Call.id == call.id)).provider_id == sid[:100]
