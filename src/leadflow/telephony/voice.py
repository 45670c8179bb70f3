"""What an inbound call does: it finds the caller's stored lead and forwards the call to the
offer's destination number, carrying the lead's tokens.

This is what an offer's lead token is for: a lead sent with it is only stored (on the offer,
in no schedule); when that person later calls one of the company's numbers, the call picks up
the lead's data. The called number (``To``) names the company through its numbers; the caller
ID (``From``) names the lead: the company's most recent lead stored with an offer token for
that number. The lead's offer decides where the call goes. A caller with no such lead is still
forwarded when the company has exactly one offer with a destination number (numbers belong to
the company, not to an offer, so that is the only offer the called number can mean); otherwise
the call is answered with a short message and hung up.

Every inbound call to a known number is stored, forwarded or not, with its events; the
provider's status callbacks then move it on as they do outbound calls.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape

from leadflow.calls.status import CALL_RANKS, call_payload
from leadflow.db.statements import Row, Sql
from leadflow.leads import repository as leads
from leadflow.models import CallStatus
from leadflow.models.base import new_uuid
from leadflow.telephony import repository
from leadflow.webhooks.outbox import enqueue_event

XML_HEADER = '<?xml version="1.0" encoding="UTF-8"?>'
HANGUP_MESSAGE = "Sorry, this call cannot be connected. Goodbye."
NO_DESTINATION = "no offer with a destination number for this call"


@dataclass(frozen=True)
class InboundCall:
    """The provider's voice webhook, parsed. ``from_`` is None for a withheld or unreadable
    caller ID (it then matches no lead); ``from_raw`` is what the provider sent."""

    to: str
    from_: str | None
    from_raw: str
    provider_id: str | None
    status: str


@dataclass(frozen=True)
class Routed:
    """The decision: where the call goes (None: hang up), and the call row if one was
    stored (none when the called number is no company's)."""

    forward_to: str | None
    call_id: int | None = None
    call_uuid: str | None = None
    lead_id: int | None = None


def forward_twiml(destination: str) -> str:
    return f"{XML_HEADER}<Response><Dial>{escape(destination)}</Dial></Response>"


def hangup_twiml() -> str:
    return f"{XML_HEADER}<Response><Say>{escape(HANGUP_MESSAGE)}</Say><Hangup/></Response>"


def twiml_for(routed: Routed) -> str:
    return forward_twiml(routed.forward_to) if routed.forward_to else hangup_twiml()


def initial_status(reported: str) -> str:
    """The status the call is stored with: the provider's, if it is one a call starts in
    (``ringing``, as Twilio sends), else ``ringing``; the status callbacks take it on."""
    rank = CALL_RANKS.get(reported)
    if rank is not None and rank < CALL_RANKS[CallStatus.COMPLETED]:
        return reported
    return CallStatus.RINGING


def _offer_for(sql: Sql, company_id: int, lead: Row | None) -> Row | None:
    """The lead's offer; with no lead, the company's only forwarding offer, if it has one."""
    if lead is not None:
        return repository.offer(sql, company_id, int(lead["offer_id"]))
    offers = repository.forwarding_offers(sql, company_id)
    return offers[0] if len(offers) == 1 else None


def receive_call(sql: Sql, call: InboundCall, now: datetime) -> Routed:
    """Match, store and route one inbound call, in the caller's transaction."""
    company_id = repository.owner_of_number(sql, call.to)
    if company_id is None:
        return Routed(forward_to=None)
    lead = (
        repository.stored_lead_of_caller(sql, company_id, call.from_)
        if call.from_ is not None
        else None
    )
    offer = _offer_for(sql, company_id, lead)
    destination = (offer or {}).get("destination_number") or None
    values: dict[str, Any] = {
        "uuid": new_uuid(),
        "company_id": company_id,
        "lead_id": lead["id"] if lead else None,
        "schedule_id": None,
        "direction": "inbound",
        "to_number": call.to,
        "from_number": (call.from_ or call.from_raw)[:20] or None,
        "status": initial_status(call.status),
        "provider_id": call.provider_id,
        "tokens": dict(lead["tokens"] or {}) if lead else {},
        "is_callback": False,
        "connect_to": destination,
        "error": None if destination else NO_DESTINATION,
        "offer_id": offer["id"] if offer else None,
        "traffic_source_id": lead["traffic_source_id"] if lead else None,
        "revenue_cents": 0,
        "payout_cents": 0,
        "buyer_converted": False,
        "offer_converted": False,
        "post_call_tokens": {},
        "created_at": now,
        "updated_at": now,
    }
    row = repository.add_inbound_call(sql, values)
    _record(sql, row, lead, now)
    return Routed(destination, int(row["id"]), str(row["uuid"]), values["lead_id"])


def _record(sql: Sql, call: Row, lead: Row | None, now: datetime) -> None:
    """The call's events, the lead's timeline, and the ``new_call`` and ``call_forwarded``
    webhooks."""
    company_id, call_id = int(call["company_id"]), int(call["id"])
    repository.add_call_event(
        sql,
        company_id,
        call_id,
        "inbound",
        {
            "status": call["status"],
            "from": call["from_number"],
            "to": call["to_number"],
            "provider_id": call["provider_id"],
            "lead_id": call["lead_id"],
            "offer_id": call["offer_id"],
        },
        now,
    )
    if call["connect_to"]:
        repository.add_call_event(
            sql, company_id, call_id, "forwarded", {"to": call["connect_to"]}, now
        )
    else:
        repository.add_call_event(
            sql, company_id, call_id, "hangup", {"reason": NO_DESTINATION}, now
        )
    if lead is not None:
        leads.add_event(
            sql,
            company_id,
            int(lead["id"]),
            "inbound_call",
            {"call_id": call_id, "forwarded_to": call["connect_to"]},
            now,
        )
    trigger = {
        "schedule_id": None,
        "offer_id": call["offer_id"],
        "traffic_source_id": call["traffic_source_id"],
    }
    events = ["new_call", "call_forwarded"] if call["connect_to"] else ["new_call"]
    for event in events:
        enqueue_event(
            sql,
            company_id=company_id,
            event=event,
            data=lambda: call_payload(call),
            trigger=trigger,
            now=now,
        )
