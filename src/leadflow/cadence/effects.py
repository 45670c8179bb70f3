"""What a committed decision still owes the outside world, sent after the commit."""

from __future__ import annotations

from dataclasses import dataclass

from leadflow.channels.protocol import OutboundCall, OutboundEmail, OutboundSms


@dataclass(frozen=True)
class PlaceCall:
    call_id: int
    call: OutboundCall


@dataclass(frozen=True)
class SendSms:
    message_id: int
    sms: OutboundSms


@dataclass(frozen=True)
class SendEmail:
    message_id: int
    email: OutboundEmail


@dataclass(frozen=True)
class CallWebhook:
    """A schedule's webhook action; its answer is written to the lead's timeline."""

    company_id: int
    lead_id: int
    action_index: int
    method: str
    url: str
    body: str
    headers: dict[str, str]


Effect = PlaceCall | SendSms | SendEmail | CallWebhook
