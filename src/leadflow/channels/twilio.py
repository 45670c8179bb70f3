"""Voice and SMS through the Twilio-compatible REST API (Twilio, SignalWire and others speak it).

A call is ``POST {api}/2010-04-01/Accounts/{sid}/Calls.json`` and a text ``.../Messages.json``,
form-encoded, with HTTP Basic auth ``AccountSid:AuthToken``. The provider answers at once with
a non-final status (``queued``) and reports the rest to the status callback URL we pass, which
carries our own uuid so the callback finds its row without a lookup by provider id.

Each send is one HTTP request and is never retried here: a retry after a lost answer could
ring or text someone twice. When the request may have reached the provider but no answer came
back (a read timeout, a dropped connection), the outcome is ``unknown``, not ``failed``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

import httpx

from leadflow.channels.protocol import OutboundCall, OutboundSms, SendResult
from leadflow.settings import Settings

API_VERSION = "2010-04-01"
CALL_STATUS_EVENTS = ("initiated", "ringing", "answered", "completed")
CALLS_STATUS_PATH = "/api/v1/telephony/twilio/calls/{uuid}/status"
MESSAGES_STATUS_PATH = "/api/v1/telephony/twilio/messages/{uuid}/status"

# Failures that happen before any byte of the request leaves: the provider cannot have acted.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.LocalProtocolError)


@dataclass(frozen=True)
class TwilioAccount:
    """Where and as whom we talk to the provider, and where it calls us back."""

    api_url: str
    account_sid: str
    auth_token: str
    public_url: str
    """Our own base URL as the provider reaches it; status callbacks go below it."""
    default_from: str = ""
    """The From number when the call or text names none (``default_caller_id``)."""
    timeout: float | None = None
    """Seconds per request; ``None`` keeps the shared client's timeout."""

    @classmethod
    def from_settings(cls, settings: Settings) -> TwilioAccount:
        return cls(
            api_url=settings.twilio_api_url,
            account_sid=settings.twilio_account_sid,
            auth_token=settings.twilio_auth_token.get_secret_value(),
            public_url=settings.public_url,
            default_from=settings.default_caller_id,
        )

    def resource_url(self, resource: str) -> str:
        return f"{self.api_url.rstrip('/')}/{API_VERSION}/Accounts/{self.account_sid}/{resource}"

    def callback_url(self, path: str, uuid: str) -> str:
        return self.public_url.rstrip("/") + path.format(uuid=uuid)


def call_twiml(connect_to: str | None) -> str:
    """What the provider does once the lead answers: dial the destination, or pause and hang up."""
    if connect_to:
        return f"<Response><Dial>{escape(connect_to)}</Dial></Response>"
    return '<Response><Pause length="1"/></Response>'


@dataclass(frozen=True)
class TwilioVoice:
    http: httpx.AsyncClient
    account: TwilioAccount

    async def place_call(self, call: OutboundCall) -> SendResult:
        sender = call.from_ or self.account.default_from
        if not sender:
            return SendResult(accepted=False, status="failed", error="no From number for the call")
        form: dict[str, str | list[str]] = {
            "To": call.to,
            "From": sender,
            "Twiml": call_twiml(call.connect_to),
            "StatusCallback": self.account.callback_url(CALLS_STATUS_PATH, call.call_uuid),
            "StatusCallbackEvent": list(CALL_STATUS_EVENTS),
            "StatusCallbackMethod": "POST",
            "Timeout": str(call.max_ring_seconds),
        }
        return await create(self.http, self.account, "Calls.json", form)


@dataclass(frozen=True)
class TwilioSms:
    http: httpx.AsyncClient
    account: TwilioAccount

    async def send_sms(self, sms: OutboundSms) -> SendResult:
        sender = sms.from_ or self.account.default_from
        if not sender:
            return SendResult(accepted=False, status="failed", error="no From number for the SMS")
        form: dict[str, str | list[str]] = {
            "To": sms.to,
            "From": sender,
            "Body": sms.body,
            "StatusCallback": self.account.callback_url(MESSAGES_STATUS_PATH, sms.message_uuid),
        }
        return await create(self.http, self.account, "Messages.json", form)


async def create(
    http: httpx.AsyncClient,
    account: TwilioAccount,
    resource: str,
    form: dict[str, str | list[str]],
) -> SendResult:
    """POST one create request and say what the provider answered; exactly one attempt."""
    timeout: Any = httpx.USE_CLIENT_DEFAULT if account.timeout is None else account.timeout
    try:
        response = await http.post(
            account.resource_url(resource),
            data=form,
            auth=httpx.BasicAuth(account.account_sid, account.auth_token),
            headers={"Accept": "application/json"},
            timeout=timeout,
        )
    except _NOT_SENT as exc:
        return SendResult(accepted=False, status="failed", error=_describe(exc))
    except httpx.TransportError as exc:
        return SendResult(accepted=False, status="unknown", error=_describe(exc))
    return result_of(response)


def result_of(response: httpx.Response) -> SendResult:
    """Map the provider's answer: 2xx is accepted with its status and sid, anything else failed."""
    body = _json_object(response)
    if response.is_success:
        sid = body.get("sid")
        return SendResult(
            accepted=True,
            status=str(body.get("status") or "queued"),
            provider_id=str(sid) if sid else None,
        )
    code, message = body.get("code"), body.get("message")
    parts = [str(part) for part in (code, message) if part not in (None, "")]
    error = ": ".join(parts) if parts else f"HTTP {response.status_code}"
    return SendResult(accepted=False, status="failed", error=error)


def _json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _describe(exc: httpx.TransportError) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
