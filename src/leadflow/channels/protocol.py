"""The three channels the cadence engine and make_call send through.

Each is a small ``Protocol`` with one method, so a provider is one class and tests need no
mocks: the simulated channels (the default) record what they would have sent, the Twilio
adapter speaks the Calls and Messages REST APIs, the SMTP channel speaks SMTP.

A channel is called only after the commit that decided the send, and is called once: it never
retries on its own (a retry could call or text someone twice). It reports what the provider
said in a :class:`SendResult`; it raises only for programming errors, never for a provider
that refused or could not be reached (that is ``SendResult(accepted=False, error=...)``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class OutboundCall:
    call_uuid: str
    """Our id for the call; status callbacks come back to a URL that carries it."""
    to: str
    from_: str | None
    connect_to: str | None = None
    max_ring_seconds: int = 30


@dataclass(frozen=True)
class OutboundSms:
    message_uuid: str
    to: str
    from_: str | None
    body: str


@dataclass(frozen=True)
class OutboundEmail:
    message_uuid: str
    to: str
    from_: str
    subject: str
    body: str


@dataclass(frozen=True)
class SendResult:
    """What the provider answered.

    ``status`` is the Twilio status the row moves to (``queued``, ``initiated``, ``sent``,
    ``completed``, ``failed`` ...). A provider that reports the outcome later (status callbacks)
    answers a non-final status; the simulated channels answer the final one at once, with
    ``answered`` and ``duration`` for calls.
    """

    accepted: bool
    status: str
    provider_id: str | None = None
    error: str | None = None
    answered: bool = False
    duration: int | None = None


class VoiceChannel(Protocol):
    async def place_call(self, call: OutboundCall) -> SendResult: ...


class SmsChannel(Protocol):
    async def send_sms(self, sms: OutboundSms) -> SendResult: ...


class EmailChannel(Protocol):
    async def send_email(self, email: OutboundEmail) -> SendResult: ...


@dataclass(frozen=True)
class Channels:
    """The three channels a process sends through, built once from the settings."""

    voice: VoiceChannel
    sms: SmsChannel
    email: EmailChannel
