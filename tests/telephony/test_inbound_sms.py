"""Inbound texts: stored on the sender's leads; STOP opts the number out company-wide."""

from __future__ import annotations

import pytest

from leadflow.models import (
    Contact,
    ContactEvent,
    Lead,
    LeadEvent,
    LeadStatus,
    Message,
    ScheduledCallback,
    WebhookDelivery,
)
from leadflow.telephony.service import keyword_of
from tests.factories import Factory
from tests.telephony.builders import Builder, Provider

SENDER = "+17193132645"
OUR_NUMBER = "+18005550142"
SMS_PATH = "/api/v1/telephony/twilio/sms"


def _text(body: str, to: str = OUR_NUMBER) -> dict[str, str]:
    return {"From": SENDER, "To": to, "Body": body, "MessageSid": "SM100"}


@pytest.mark.parametrize(
    ("body", "keyword"),
    [
        ("STOP", "stop"),
        ("  stop please ", "stop"),
        ("Unsubscribe.", "stop"),
        ("quit", "stop"),
        ("StopAll", "stop"),
        ("start", "start"),
        ("UNSTOP", "start"),
        ("stopping by later", None),
        ("please stop", None),
        ("", None),
    ],
)
def test_only_the_first_word_decides_the_keyword(body: str, keyword: str | None) -> None:
    assert keyword_of(body) == keyword


async def test_a_text_is_stored_and_shown_on_the_senders_live_leads(
    factory: Factory, build: Builder, provider: Provider
) -> None:
    tenant = await factory.tenant()
    await factory.number(tenant, OUR_NUMBER)
    lead = await build.lead(tenant, await factory.schedule(tenant), SENDER)
    await build.subscription(tenant, "incoming_text_message")

    answer = await provider.post(SMS_PATH, _text("What time works?"))
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/xml")
    assert "<Response/>" in answer.text

    message = await build.one(Message, Message.direction == "inbound")
    assert (message.company_id, message.lead_id, message.status) == (
        tenant.company.id,
        lead.id,
        "received",
    )
    assert (message.from_address, message.to_address, message.body) == (
        SENDER,
        OUR_NUMBER,
        "What time works?",
    )
    (event,) = await build.rows(LeadEvent, LeadEvent.lead_id == lead.id)
    assert (event.kind, event.data["body"]) == ("incoming_text_message", "What time works?")
    assert (await build.one(Lead, Lead.id == lead.id)).status == LeadStatus.SCHEDULED
    (delivery,) = await build.rows(WebhookDelivery)
    assert delivery.payload["data"]["body"] == "What time works?"


async def test_stop_opts_the_number_out_and_ends_its_leads_in_every_schedule(
    factory: Factory, build: Builder, provider: Provider
) -> None:
    tenant, other = await factory.tenant(), await factory.tenant()
    await factory.number(tenant, OUR_NUMBER)
    await build.subscription(tenant, "lead_opted_out")
    first = await build.lead(tenant, await factory.schedule(tenant), SENDER)
    second = await build.lead(tenant, await factory.schedule(tenant), SENDER, LeadStatus.RUNNING)
    ended = await build.lead(
        tenant, await factory.schedule(tenant), SENDER, LeadStatus.COMPLETED, next_action_at=None
    )
    elsewhere = await build.lead(other, await factory.schedule(other), SENDER)
    async with factory.sessionmaker() as session:
        now = factory.clock.now()
        promised = ScheduledCallback(
            company_id=tenant.company.id,
            lead_id=first.id,
            to_number=SENDER,
            place_call_at=now,
            created_at=now,
            updated_at=now,
        )
        session.add(promised)
        await session.commit()

    answer = await provider.post(SMS_PATH, _text("Stop texting me"))
    assert answer.status_code == 200, answer.text

    now = factory.clock.now()
    for lead in (first, second):
        stored = await build.one(Lead, Lead.id == lead.id)
        assert (stored.status, stored.next_action_at, stored.ended_at) == (
            LeadStatus.OPT_OUT,
            None,
            now,
        )
        kinds = [e.kind for e in await build.rows(LeadEvent, LeadEvent.lead_id == lead.id)]
        assert kinds == ["incoming_text_message", "opted_out"]
    assert (await build.one(Lead, Lead.id == ended.id)).status == LeadStatus.COMPLETED
    contact = await build.one(Contact, Contact.company_id == tenant.company.id)
    assert (contact.number, contact.opt_out, contact.sms_opt_out_at) == (SENDER, True, now)
    deliveries = await build.rows(WebhookDelivery, WebhookDelivery.event == "lead_opted_out")
    assert sorted(d.payload["data"]["id"] for d in deliveries) == [first.id, second.id]
    assert (await build.one(ScheduledCallback)).status == "canceled"

    untouched = await build.one(Lead, Lead.id == elsewhere.id)
    assert untouched.status == LeadStatus.SCHEDULED
    assert await build.rows(Contact, Contact.company_id == other.company.id) == []


async def test_start_lifts_the_opt_out(
    factory: Factory, build: Builder, provider: Provider
) -> None:
    tenant = await factory.tenant()
    await factory.number(tenant, OUR_NUMBER)
    await build.lead(tenant, await factory.schedule(tenant), SENDER)
    await provider.post(SMS_PATH, _text("STOP"))
    assert (await build.one(Contact)).opt_out is True

    assert (await provider.post(SMS_PATH, _text("start"))).status_code == 200
    contact = await build.one(Contact)
    assert (contact.opt_out, contact.opt_out_at, contact.sms_opt_out_at) == (False, None, None)
    assert len(await build.rows(Message, Message.direction == "inbound")) == 2


async def test_stop_and_start_are_kept_on_the_numbers_history(
    factory: Factory, build: Builder, provider: Provider
) -> None:
    tenant = await factory.tenant()
    await factory.number(tenant, OUR_NUMBER)
    await build.lead(tenant, await factory.schedule(tenant), SENDER)
    await provider.post(SMS_PATH, _text("STOP"))
    await provider.post(SMS_PATH, _text("Start"))

    events = await build.rows(ContactEvent)

    assert [(e.number, e.kind, e.source, e.reason) for e in events] == [
        (SENDER, "opted_out", "sms", "STOP"),
        (SENDER, "opted_in", "sms", "Start"),
    ]


async def test_a_text_to_a_number_no_company_owns_is_404(
    factory: Factory, build: Builder, provider: Provider
) -> None:
    answer = await provider.post(SMS_PATH, _text("STOP", to="+18005550143"))
    assert answer.status_code == 404
    assert await build.rows(Message) == []
    assert await build.rows(Contact) == []


async def test_an_unsigned_stop_is_403_and_opts_nobody_out(
    factory: Factory, build: Builder, provider: Provider
) -> None:
    tenant = await factory.tenant()
    await factory.number(tenant, OUR_NUMBER)
    lead = await build.lead(tenant, await factory.schedule(tenant), SENDER)
    answer = await provider.post(SMS_PATH, _text("STOP"), signature="")
    assert answer.status_code == 403
    assert (await build.one(Lead, Lead.id == lead.id)).status == LeadStatus.SCHEDULED
    assert await build.rows(Contact) == []
    assert await build.rows(Message) == []
