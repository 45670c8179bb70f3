"""What an inbound text does: it is stored and shown on its sender's leads, and a STOP (or one
of the carriers' other opt-out words) opts the number out company-wide and ends its schedules;
START undoes the opt-out for later leads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from leadflow.contacts import repository as contacts
from leadflow.db.statements import Row, Sql
from leadflow.leads import repository as timeline
from leadflow.models import LeadStatus
from leadflow.models.base import new_uuid
from leadflow.telephony import repository
from leadflow.webhooks.lead_events import LEAD_OPTED_OUT, enqueue_lead_event
from leadflow.webhooks.outbox import enqueue_event

# The opt-out and opt-in words US carriers and Twilio's Advanced Opt-Out honour.
STOP_WORDS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"}
)
START_WORDS = frozenset({"START", "UNSTOP"})

Keyword = Literal["stop", "start"]


def keyword_of(body: str) -> Keyword | None:
    """The first word of the text, trimmed and in any case: ``" Stop please"`` is a STOP."""
    words = body.strip().split(maxsplit=1)
    first = words[0].strip(".!").upper() if words else ""
    if first in STOP_WORDS:
        return "stop"
    if first in START_WORDS:
        return "start"
    return None


@dataclass(frozen=True)
class InboundSms:
    to: str
    from_: str
    body: str
    provider_id: str | None


@dataclass(frozen=True)
class Received:
    message_id: int
    keyword: Keyword | None
    leads_ended: tuple[int, ...]


def _trigger(lead: Row | None) -> dict[str, object]:
    if lead is None:
        return {}
    return {
        "schedule_id": lead["schedule_id"],
        "offer_id": lead["offer_id"],
        "traffic_source_id": lead["traffic_source_id"],
    }


def receive_sms(sql: Sql, company_id: int, sms: InboundSms, now: datetime) -> Received:
    """Store the text on the company's number and act on its keyword, all in the caller's
    transaction (the webhooks are queued in it too)."""
    leads = repository.live_leads_of_number(sql, company_id, sms.from_)
    latest = leads[-1] if leads else None
    message = repository.add_inbound_sms(
        sql,
        uuid=new_uuid(),
        company_id=company_id,
        lead_id=latest["id"] if latest else None,
        schedule_id=latest["schedule_id"] if latest else None,
        to=sms.to,
        from_=sms.from_,
        body=sms.body,
        provider_id=sms.provider_id,
        now=now,
    )
    for lead in leads:
        timeline.add_event(
            sql,
            company_id,
            lead["id"],
            "incoming_text_message",
            {"message_id": message["id"], "from": sms.from_, "to": sms.to, "body": sms.body},
            now,
        )
    enqueue_event(
        sql,
        company_id=company_id,
        event="incoming_text_message",
        data=message,
        trigger=_trigger(latest),
        now=now,
    )
    keyword = keyword_of(sms.body)
    ended: tuple[int, ...] = ()
    if keyword == "stop":
        contacts.set_contact_state(
            sql, company_id, sms.from_, now, opt_out=True, opt_out_at=now, sms_opt_out_at=now
        )
        ended = _opt_out_leads(sql, company_id, leads, message["id"], now)
        contacts.record_contact_event(
            sql, company_id, sms.from_, "opted_out", "sms", now, reason=sms.body.strip()[:500]
        )
    elif keyword == "start":
        contacts.set_contact_state(
            sql, company_id, sms.from_, now, opt_out=False, opt_out_at=None, sms_opt_out_at=None
        )
        contacts.record_contact_event(
            sql, company_id, sms.from_, "opted_in", "sms", now, reason=sms.body.strip()[:500]
        )
    return Received(message_id=message["id"], keyword=keyword, leads_ended=ended)


def _opt_out_leads(
    sql: Sql, company_id: int, leads: list[Row], message_id: int, now: datetime
) -> tuple[int, ...]:
    """End each live lead of the number as opted out, with its timeline entry and its
    ``lead_opted_out`` webhook."""
    ended = []
    for lead in leads:
        if not repository.end_lead(sql, lead["id"], LeadStatus.OPT_OUT, now):
            continue
        ended.append(lead["id"])
        timeline.add_event(
            sql, company_id, lead["id"], "opted_out", {"by": "sms", "message_id": message_id}, now
        )
        changes = {"status": LeadStatus.OPT_OUT, "next_action_at": None, "ended_at": now}
        enqueue_lead_event(
            sql,
            LEAD_OPTED_OUT,
            {**lead, **changes, "updated_at": now},
            now,
            contact={"opt_out": True},
        )
    repository.cancel_callbacks(sql, ended, now)
    return tuple(ended)
