"""Inbound calls: the caller's lead stored with an offer token gives the call its tokens and
the offer's destination number; the provider is answered with TwiML to forward it."""

from __future__ import annotations

from typing import Any

from leadflow.models import Call, CallEvent, Lead, LeadEvent, LeadStatus, Offer, WebhookDelivery
from tests.factories import Factory, Tenant
from tests.telephony.builders import Builder, Provider

CALLER = "+17193132645"
OUR_NUMBER = "+18005550142"
DESTINATION = "+13035550100"
VOICE = "/api/v1/telephony/twilio/voice"
STATUS = "/api/v1/telephony/twilio/voice/status"
FORWARD = f'<?xml version="1.0" encoding="UTF-8"?><Response><Dial>{DESTINATION}</Dial></Response>'


def _ring(caller: str = CALLER, to: str = OUR_NUMBER) -> dict[str, str]:
    return {"From": caller, "To": to, "CallSid": "CA100", "CallStatus": "ringing"}


async def _stored_lead(
    factory: Factory, tenant: Tenant, offer: Offer, caller: str = CALLER, **fields: Any
) -> Lead:
    """A lead sent with the offer's token: on the offer, in no schedule."""
    now = factory.clock.now()
    lead = Lead(
        company_id=tenant.company.id,
        offer_id=offer.id,
        schedule_id=None,
        caller_id=caller,
        status=LeadStatus.CAPTURED,
        created_at=now,
        updated_at=now,
        **fields,
    )
    async with factory.sessionmaker() as session:
        session.add(lead)
        await session.commit()
    return lead


async def test_a_known_caller_is_forwarded_to_the_offer_with_the_leads_tokens(
    factory: Factory, build: Builder, provider: Provider
) -> None:
    tenant = await factory.tenant()
    await factory.number(tenant, OUR_NUMBER)
    offer = await factory.offer(tenant, destination_number=DESTINATION)
    await factory.offer(tenant, destination_number="+13035550199")
    source = await factory.traffic_source(tenant)
    await _stored_lead(factory, tenant, offer, tokens={"first_name": "Old"})
    lead = await _stored_lead(
        factory, tenant, offer, tokens={"first_name": "Grace"}, traffic_source_id=source.id
    )
    # A later lead enrolled in a schedule is not an offer's stored data.
    await build.lead(tenant, await factory.schedule(tenant), CALLER)
    await build.subscription(tenant, "call_forwarded")

    answer = await provider.post(VOICE, _ring())
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/xml")
    assert answer.text == FORWARD

    call = await build.one(Call)
    assert (call.direction, call.status, call.provider_id) == ("inbound", "ringing", "CA100")
    assert (call.from_number, call.to_number, call.connect_to) == (
        CALLER,
        OUR_NUMBER,
        DESTINATION,
    )
    assert (call.lead_id, call.offer_id, call.traffic_source_id) == (lead.id, offer.id, source.id)
    assert call.tokens == {"first_name": "Grace"}
    events = await build.rows(CallEvent, CallEvent.call_id == call.id)
    assert [e.kind for e in events] == ["inbound", "forwarded"]
    assert events[1].data == {"to": DESTINATION}
    (timeline,) = await build.rows(LeadEvent, LeadEvent.lead_id == lead.id)
    assert (timeline.kind, timeline.data["call_id"]) == ("inbound_call", call.id)
    (delivery,) = await build.rows(WebhookDelivery)
    assert delivery.payload["data"]["connect_to"] == DESTINATION

    done = {**_ring(), "CallStatus": "completed", "CallDuration": "42"}
    assert (await provider.post(STATUS, done)).status_code == 200
    ended = await build.one(Call)
    assert (ended.status, ended.duration) == ("completed", 42)
    kinds = [e.kind for e in await build.rows(CallEvent, CallEvent.call_id == call.id)]
    assert kinds == ["inbound", "forwarded", "status"]


async def test_a_bad_or_missing_signature_is_refused_and_nothing_is_stored(
    factory: Factory, build: Builder, provider: Provider
) -> None:
    tenant = await factory.tenant()
    await factory.number(tenant, OUR_NUMBER)
    await _stored_lead(factory, tenant, await factory.offer(tenant, destination_number=DESTINATION))
    for signature in ("bm90IHRoZSBzaWduYXR1cmU=", ""):
        answer = await provider.post(VOICE, _ring(), signature=signature)
        assert answer.status_code == 403
    forged = Provider(provider.client, token="someone-elses-token")
    assert (await forged.post(VOICE, _ring())).status_code == 403
    assert await build.rows(Call) == []


async def test_an_unknown_caller_goes_to_the_companys_only_forwarding_offer(
    factory: Factory, build: Builder, provider: Provider
) -> None:
    tenant = await factory.tenant()
    await factory.number(tenant, OUR_NUMBER)
    offer = await factory.offer(tenant, destination_number=DESTINATION)
    await factory.offer(tenant)
    for caller in ("+17205550123", "anonymous"):
        answer = await provider.post(VOICE, _ring(caller))
        assert answer.text == FORWARD
    calls = await build.rows(Call)
    assert [(c.lead_id, c.offer_id, c.tokens) for c in calls] == [(None, offer.id, {})] * 2
    assert [c.from_number for c in calls] == ["+17205550123", "anonymous"]


async def test_an_unknown_caller_with_no_single_offer_hears_a_message_and_is_hung_up(
    factory: Factory, build: Builder, provider: Provider
) -> None:
    tenant = await factory.tenant()
    await factory.number(tenant, OUR_NUMBER)
    await factory.offer(tenant, destination_number=DESTINATION)
    await factory.offer(tenant, destination_number="+13035550199")
    # Another company's stored lead for the caller is not this company's.
    other = await factory.tenant()
    await _stored_lead(factory, other, await factory.offer(other, destination_number=DESTINATION))

    answer = await provider.post(VOICE, _ring())
    assert answer.status_code == 200
    assert "<Say>" in answer.text
    assert answer.text.endswith("<Hangup/></Response>")
    assert "<Dial>" not in answer.text
    call = await build.one(Call)
    assert (call.company_id, call.lead_id, call.connect_to) == (tenant.company.id, None, None)
    assert call.error is not None
    kinds = [e.kind for e in await build.rows(CallEvent, CallEvent.call_id == call.id)]
    assert kinds == ["inbound", "hangup"]


async def test_a_matched_lead_whose_offer_has_no_destination_is_hung_up(
    factory: Factory, build: Builder, provider: Provider
) -> None:
    tenant = await factory.tenant()
    await factory.number(tenant, OUR_NUMBER)
    await factory.offer(tenant, destination_number=DESTINATION)
    lead = await _stored_lead(factory, tenant, await factory.offer(tenant))
    answer = await provider.post(VOICE, _ring())
    assert "<Hangup/>" in answer.text
    assert (await build.one(Call)).lead_id == lead.id


async def test_a_call_to_a_number_no_company_owns_is_hung_up_and_not_stored(
    factory: Factory, build: Builder, provider: Provider
) -> None:
    tenant = await factory.tenant()
    await _stored_lead(factory, tenant, await factory.offer(tenant, destination_number=DESTINATION))
    answer = await provider.post(VOICE, _ring(to="+18005550999"))
    assert answer.status_code == 200
    assert "<Hangup/>" in answer.text
    assert await build.rows(Call) == []
    missing = await provider.post(VOICE, {"From": CALLER, "CallSid": "CA1"})
    assert (missing.status_code, list(missing.json()["errors"])) == (422, ["To"])


async def test_a_status_callback_for_an_unknown_call_is_not_found(
    factory: Factory, provider: Provider
) -> None:
    tenant = await factory.tenant()
    await factory.number(tenant, OUR_NUMBER)
    answer = await provider.post(STATUS, {**_ring(), "CallStatus": "completed"})
    assert answer.status_code == 404
