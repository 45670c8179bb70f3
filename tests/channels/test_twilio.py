"""Calls and texts reach a Twilio-compatible server with the right form, and its answers map."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

import httpx

from leadflow.channels.protocol import OutboundCall, OutboundSms
from leadflow.channels.twilio import TwilioAccount, TwilioSms, TwilioVoice
from tests.channels.conftest import CALLER_ID
from tests.support.telephony import TelephonyServer, twilio_signature

LEAD = "+12025550143"


def a_call(**changes: Any) -> OutboundCall:
    call = OutboundCall(call_uuid=str(uuid.uuid4()), to=LEAD, from_="+12025550111")
    return dataclasses.replace(call, **changes)


def an_sms(**changes: Any) -> OutboundSms:
    sms = OutboundSms(message_uuid=str(uuid.uuid4()), to=LEAD, from_="+12025550122", body="Hi!")
    return dataclasses.replace(sms, **changes)


async def test_call_is_created_with_its_form_and_basic_auth(
    telephony_server: TelephonyServer, http: httpx.AsyncClient, account: TwilioAccount
) -> None:
    call = a_call(max_ring_seconds=25)
    result = await TwilioVoice(http, account).place_call(call)

    [sent] = telephony_server.calls
    assert result.accepted
    assert result.status == "queued"
    assert result.provider_id == sent.sid
    assert sent.sid is not None
    assert sent.sid.startswith("CA")
    assert sent.auth == (telephony_server.account_sid, telephony_server.auth_token)
    assert sent.field("To") == LEAD
    assert sent.field("From") == "+12025550111"
    assert sent.field("Twiml") == '<Response><Pause length="1"/></Response>'
    assert sent.values("StatusCallbackEvent") == ["initiated", "ringing", "answered", "completed"]
    assert sent.field("StatusCallbackMethod") == "POST"
    assert sent.field("Timeout") == "25"


async def test_call_status_callback_points_at_our_endpoint_with_our_uuid(
    telephony_server: TelephonyServer, http: httpx.AsyncClient, account: TwilioAccount
) -> None:
    call = a_call()
    await TwilioVoice(http, account).place_call(call)

    expected = f"https://leadflow.example/api/v1/telephony/twilio/calls/{call.call_uuid}/status"
    assert telephony_server.calls[0].field("StatusCallback") == expected


async def test_call_with_a_destination_dials_it_when_answered(
    telephony_server: TelephonyServer, http: httpx.AsyncClient, account: TwilioAccount
) -> None:
    await TwilioVoice(http, account).place_call(a_call(connect_to="+18005550199"))

    twiml = telephony_server.calls[0].field("Twiml")
    assert twiml == "<Response><Dial>+18005550199</Dial></Response>"


async def test_destination_is_xml_escaped_in_the_twiml(
    telephony_server: TelephonyServer, http: httpx.AsyncClient, account: TwilioAccount
) -> None:
    await TwilioVoice(http, account).place_call(a_call(connect_to="sip:a&b<c>@example.com"))

    twiml = telephony_server.calls[0].field("Twiml")
    assert twiml == "<Response><Dial>sip:a&amp;b&lt;c&gt;@example.com</Dial></Response>"


async def test_call_without_a_from_number_uses_the_default_caller_id(
    telephony_server: TelephonyServer, http: httpx.AsyncClient, account: TwilioAccount
) -> None:
    await TwilioVoice(http, account).place_call(a_call(from_=None))

    assert telephony_server.calls[0].field("From") == CALLER_ID


async def test_call_with_no_from_number_anywhere_fails_without_a_request(
    telephony_server: TelephonyServer, http: httpx.AsyncClient, account: TwilioAccount
) -> None:
    voice = TwilioVoice(http, dataclasses.replace(account, default_from=""))
    result = await voice.place_call(a_call(from_=None))

    assert (result.accepted, result.status) == (False, "failed")
    assert telephony_server.requests == []


async def test_sms_is_created_with_body_and_status_callback_for_our_uuid(
    telephony_server: TelephonyServer, http: httpx.AsyncClient, account: TwilioAccount
) -> None:
    sms = an_sms(body="Your quote is ready")
    result = await TwilioSms(http, account).send_sms(sms)

    [sent] = telephony_server.messages
    assert (result.accepted, result.status, result.provider_id) == (True, "queued", sent.sid)
    assert sent.sid is not None
    assert sent.sid.startswith("SM")
    assert sent.auth == (telephony_server.account_sid, telephony_server.auth_token)
    assert (sent.field("To"), sent.field("From")) == (LEAD, "+12025550122")
    assert sent.field("Body") == "Your quote is ready"
    expected = (
        f"https://leadflow.example/api/v1/telephony/twilio/messages/{sms.message_uuid}/status"
    )
    assert sent.field("StatusCallback") == expected


async def test_invalid_number_fails_with_the_providers_error_code(
    http: httpx.AsyncClient, account: TwilioAccount
) -> None:
    result = await TwilioSms(http, account).send_sms(an_sms(to="555-0143"))

    assert (result.accepted, result.status) == (False, "failed")
    assert result.error is not None
    assert result.error.startswith("21211: ")


async def test_wrong_auth_token_fails_as_unauthenticated(
    telephony_server: TelephonyServer, http: httpx.AsyncClient, account: TwilioAccount
) -> None:
    voice = TwilioVoice(http, dataclasses.replace(account, auth_token="wrong"))
    result = await voice.place_call(a_call())

    assert (result.accepted, result.status, result.error) == (
        False,
        "failed",
        "20003: Authenticate",
    )
    assert telephony_server.requests[0].status == 401


async def test_provider_server_error_fails_the_send(
    telephony_server: TelephonyServer, http: httpx.AsyncClient, account: TwilioAccount
) -> None:
    telephony_server.mode = "fail"
    result = await TwilioVoice(http, account).place_call(a_call())

    assert (result.accepted, result.status) == (False, "failed")
    assert result.error is not None
    assert "20500" in result.error


async def test_provider_that_never_answers_leaves_the_outcome_unknown_and_is_asked_once(
    telephony_server: TelephonyServer, http: httpx.AsyncClient, account: TwilioAccount
) -> None:
    telephony_server.mode = "hang"
    result = await TwilioVoice(http, account).place_call(a_call())

    assert (result.accepted, result.status) == (False, "unknown")
    assert len(telephony_server.requests) == 1


async def test_connection_dropped_after_the_request_leaves_the_outcome_unknown(
    telephony_server: TelephonyServer, http: httpx.AsyncClient, account: TwilioAccount
) -> None:
    telephony_server.mode = "drop"
    result = await TwilioSms(http, account).send_sms(an_sms())

    assert (result.accepted, result.status) == (False, "unknown")
    assert len(telephony_server.requests) == 1


async def test_refused_connection_fails_the_send_since_nothing_was_sent(
    telephony_server: TelephonyServer, http: httpx.AsyncClient, account: TwilioAccount
) -> None:
    telephony_server.refuse()
    result = await TwilioVoice(http, account).place_call(a_call())

    assert (result.accepted, result.status) == (False, "failed")
    assert result.error is not None
    assert "ConnectError" in result.error


async def test_status_callback_from_the_test_server_is_signed_for_its_url(
    telephony_server: TelephonyServer, http: httpx.AsyncClient, account: TwilioAccount
) -> None:
    await TwilioVoice(http, account).place_call(a_call())
    [sent] = telephony_server.calls

    callback = telephony_server.status_callback(sent, "completed", CallDuration="42")

    assert callback.url == sent.field("StatusCallback")
    assert callback.form["CallSid"] == sent.sid
    assert (callback.form["CallStatus"], callback.form["CallDuration"]) == ("completed", "42")
    expected = twilio_signature(telephony_server.auth_token, callback.url, callback.form)
    assert callback.headers["X-Twilio-Signature"] == expected


def test_twilio_signature_matches_twilios_published_example() -> None:
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+14158675309",
        "Digits": "1234",
        "From": "+14158675309",
        "To": "+18005551212",
    }
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"

    assert twilio_signature("12345", url, params) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="
