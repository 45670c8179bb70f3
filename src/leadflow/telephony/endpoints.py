"""The URLs a Twilio-compatible provider calls: call and message status callbacks, the
inbound SMS webhook, and the inbound voice webhook with its status callback.

Every request must carry a valid ``X-Twilio-Signature`` made with ``twilio_auth_token``; one
that does not is refused with 403 before anything is read or written (and with no token
configured, every request is refused: the simulated channels need no callbacks). The answer is
an empty TwiML ``<Response/>``, which every provider accepts, or the TrackDrive envelope for a
client that asks for JSON.
"""

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, TypeVar
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request, Security
from fastapi.security import APIKeyHeader
from pydantic import BaseModel
from sqlalchemy.orm import Session
from starlette.responses import Response

from leadflow.calls.status import record_call_status, record_message_status
from leadflow.db.session import SessionDep
from leadflow.db.statements import ConnectionSql, Sql
from leadflow.kit import envelope
from leadflow.kit.dependencies import ClockDep, SettingsDep
from leadflow.kit.errors import TrackDriveError
from leadflow.kit.phone import InvalidPhoneNumberError, to_e164
from leadflow.telephony import repository
from leadflow.telephony.service import InboundSms, receive_sms
from leadflow.telephony.signature import signature_matches, signed_url
from leadflow.telephony.voice import InboundCall, receive_call, twiml_for

T = TypeVar("T")

router = APIRouter(prefix="/api/v1/telephony/twilio", tags=["telephony"])

SIGNATURE = APIKeyHeader(
    name="X-Twilio-Signature",
    scheme_name="twilioSignature",
    description="base64(HMAC-SHA1(auth token, URL + the POST parameters sorted by name, each "
    "name followed by its value)), as Twilio-compatible providers sign their requests.",
    auto_error=False,
)
SignatureHeader = Annotated[str | None, Security(SIGNATURE)]

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
MACHINE_ANSWERS = frozenset(
    {"machine_start", "machine_end_beep", "machine_end_silence", "machine_end_other", "fax"}
)


class CallbackOut(BaseModel):
    """What the callback changed, for a person debugging it (providers ignore the body)."""

    uuid: str | None = None
    status: str | None = None
    recorded: bool


def _documented(description: str, fields: dict[str, str]) -> dict[str, Any]:
    model = envelope.one_model("callback", CallbackOut)
    form = {
        "type": "object",
        "properties": {
            name: {"type": "string", "description": text} for name, text in fields.items()
        },
    }
    return {
        "response_model": None,
        "response_class": Response,
        "description": description,
        "responses": {
            200: {
                "model": model,
                "description": "An empty TwiML <Response/>, or the envelope when JSON is asked",
                "content": {"text/xml": {"schema": {"type": "string"}}},
            },
            **envelope.ERROR_RESPONSES,
        },
        "openapi_extra": {
            "requestBody": {"content": {"application/x-www-form-urlencoded": {"schema": form}}}
        },
    }


def _answer(request: Request, out: CallbackOut) -> Response:
    accept = request.headers.get("accept", "")
    if "application/json" in accept and "xml" not in accept:
        return envelope.one("callback", out)
    return Response(EMPTY_TWIML, media_type="text/xml")


async def _signed_params(
    request: Request, signature: str | None, settings: SettingsDep
) -> dict[str, str]:
    """The POST parameters of a request the provider signed; 403 for any other."""
    raw = (await request.body()).decode("utf-8", errors="replace")
    params = parse_qsl(raw, keep_blank_values=True)
    token = settings.twilio_auth_token.get_secret_value()
    url = signed_url(request, settings.public_url)
    if not signature_matches(token, url, params, signature):
        raise TrackDriveError.forbidden("missing or invalid X-Twilio-Signature")
    return dict(params)


async def _in_transaction(session: SessionDep, work: Callable[[Sql], T]) -> T:
    def run(sync_session: Session) -> T:
        return work(ConnectionSql(sync_session.connection()))

    return await session.run_sync(run)


PROVIDER_ID_LENGTH = 100


def _sid(params: dict[str, str], *names: str) -> str | None:
    """The provider's id from the first of ``names`` present, cut to the column's length: a
    signed request with an absurd id must not reach the database as a too-long value."""
    for name in names:
        if params.get(name):
            return params[name][:PROVIDER_ID_LENGTH]
    return None


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


def _answered(answered_by: str | None) -> bool | None:
    """Answering-machine detection's verdict: a machine or a fax is no connection."""
    if not answered_by:
        return None
    if answered_by in MACHINE_ANSWERS:
        return False
    return True if answered_by == "human" else None


async def _call_callback(
    request: Request,
    session: SessionDep,
    params: dict[str, str],
    now: datetime,
    find: Callable[[Sql], tuple[int, str] | None],
    *,
    provider_id: str | None,
) -> Response:
    """Record a call status callback: an outbound call's own URL and the numbers' inbound one
    differ only in how they find the call (``find``: its id and uuid), so they record, refuse
    an unknown call and answer here, once."""
    status = params.get("CallStatus", "").strip().lower()

    def work(sql: Sql) -> tuple[str, bool] | None:
        found = find(sql)
        if found is None:
            return None
        call_id, uuid = found
        recorded = record_call_status(
            sql,
            call_id=call_id,
            status=status,
            now=now,
            provider_id=provider_id,
            duration=_int(params.get("CallDuration")),
            answered=_answered(params.get("AnsweredBy")),
            error=params.get("ErrorMessage") or params.get("ErrorCode") or None,
        )
        return uuid, recorded

    found = await _in_transaction(session, work)
    if found is None:
        raise TrackDriveError.not_found("call")
    return _answer(request, CallbackOut(uuid=found[0], status=status, recorded=found[1]))


@router.post(
    "/calls/{call_uuid}/status",
    summary="Twilio call status callback",
    **_documented(
        "Set this URL as the call's StatusCallback (all events). Each status is recorded "
        "once and in order; repeats and late arrivals change nothing.",
        {
            "CallSid": "the provider's call id",
            "CallStatus": "queued, initiated, ringing, in-progress, completed, busy, ...",
            "CallDuration": "seconds, on the final callback",
            "AnsweredBy": "human, machine_start, fax ... (answering-machine detection)",
            "ErrorMessage": "why a call failed, where given",
        },
    ),
)
async def call_status(
    call_uuid: str,
    request: Request,
    signature: SignatureHeader,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
) -> Response:
    params = await _signed_params(request, signature, settings)

    def find(sql: Sql) -> tuple[int, str] | None:
        call_id = repository.call_id_by_uuid(sql, call_uuid)
        return None if call_id is None else (call_id, call_uuid)

    return await _call_callback(
        request, session, params, clock.now(), find, provider_id=_sid(params, "CallSid")
    )


@router.post(
    "/messages/{message_uuid}/status",
    summary="Twilio message status callback",
    **_documented(
        "Set this URL as the message's StatusCallback.",
        {
            "MessageSid": "the provider's message id",
            "MessageStatus": "queued, sending, sent, delivered, undelivered, failed ...",
            "ErrorCode": "the provider's error code, where given",
        },
    ),
)
async def message_status(
    message_uuid: str,
    request: Request,
    signature: SignatureHeader,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
) -> Response:
    params = await _signed_params(request, signature, settings)
    status = params.get("MessageStatus", "").strip().lower()
    now = clock.now()

    def work(sql: Sql) -> bool | None:
        message_id = repository.message_id_by_uuid(sql, message_uuid)
        if message_id is None:
            return None
        return record_message_status(
            sql,
            message_id=message_id,
            status=status,
            now=now,
            provider_id=_sid(params, "MessageSid", "SmsSid"),
            error=params.get("ErrorCode") or None,
        )

    recorded = await _in_transaction(session, work)
    if recorded is None:
        raise TrackDriveError.not_found("message")
    return _answer(request, CallbackOut(uuid=message_uuid, status=status, recorded=recorded))


def _e164(value: str | None, name: str) -> str:
    try:
        return to_e164(value or "")
    except InvalidPhoneNumberError as exc:
        raise TrackDriveError.field(name, str(exc)) from None


@router.post(
    "/sms",
    summary="Inbound SMS webhook",
    **_documented(
        "Set this URL as the messaging webhook of the company's numbers. The text is stored "
        "and shown on its sender's live leads; STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, "
        "OPTOUT or REVOKE opts the sender out company-wide and ends their live leads; START "
        "or UNSTOP lifts the opt-out.",
        {
            "From": "the sender",
            "To": "one of the company's numbers",
            "Body": "the text",
            "MessageSid": "the provider's message id",
        },
    ),
)
async def inbound_sms(
    request: Request,
    signature: SignatureHeader,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
) -> Response:
    params = await _signed_params(request, signature, settings)
    sms = InboundSms(
        to=_e164(params.get("To"), "To"),
        from_=_e164(params.get("From"), "From"),
        body=params.get("Body", ""),
        provider_id=_sid(params, "MessageSid", "SmsSid"),
    )
    now = clock.now()

    def work(sql: Sql) -> int | None:
        company_id = repository.owner_of_number(sql, sms.to)
        if company_id is None:
            return None
        return receive_sms(sql, company_id, sms, now).message_id

    message_id = await _in_transaction(session, work)
    if message_id is None:
        raise TrackDriveError.not_found("number")
    return _answer(request, CallbackOut(status="received", recorded=True))


def _plain(params: dict[str, str]) -> dict[str, str]:
    """The parameters without NUL, which no text column can hold on PostgreSQL."""
    return {name: value.replace("\x00", "") for name, value in params.items()}


def _caller(value: str | None) -> str | None:
    """The caller ID in E.164, or None when it is withheld or unreadable (``anonymous``)."""
    try:
        return to_e164(value or "")
    except InvalidPhoneNumberError:
        return None


@router.post(
    "/voice",
    summary="Inbound voice webhook",
    **_documented(
        "Set this URL as the voice webhook of the company's numbers, and /voice/status as "
        "their status callback. The caller ID picks up the caller's lead stored with an "
        "offer token (its tokens go on the call) and the answer forwards the call to the "
        "offer's destination number: <Response><Dial>+1...</Dial></Response>. With no "
        "destination the answer is <Say> and <Hangup/>. The answer is always TwiML.",
        {
            "CallSid": "the provider's call id",
            "From": "the caller ID",
            "To": "one of the company's numbers",
            "CallStatus": "ringing",
        },
    ),
)
async def inbound_voice(
    request: Request,
    signature: SignatureHeader,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
) -> Response:
    params = _plain(await _signed_params(request, signature, settings))
    call = InboundCall(
        to=_e164(params.get("To"), "To"),
        from_=_caller(params.get("From")),
        from_raw=(params.get("From") or "").strip(),
        provider_id=_sid(params, "CallSid"),
        status=params.get("CallStatus", "").strip().lower(),
    )
    now = clock.now()
    routed = await _in_transaction(session, lambda sql: receive_call(sql, call, now))
    return Response(twiml_for(routed), media_type="text/xml")


@router.post(
    "/voice/status",
    summary="Inbound call status callback",
    **_documented(
        "The status callback of the company's numbers: finds the inbound call by CallSid "
        "and records its status as /calls/{uuid}/status does.",
        {
            "CallSid": "the provider's call id",
            "To": "the number that was called",
            "CallStatus": "ringing, in-progress, completed, busy, ...",
            "CallDuration": "seconds, on the final callback",
        },
    ),
)
async def inbound_voice_status(
    request: Request,
    signature: SignatureHeader,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
) -> Response:
    params = _plain(await _signed_params(request, signature, settings))
    to = _e164(params.get("To"), "To")
    sid = params.get("CallSid", "")[:PROVIDER_ID_LENGTH]

    def find(sql: Sql) -> tuple[int, str] | None:
        company_id = repository.owner_of_number(sql, to)
        call_id = repository.inbound_call_id(sql, company_id, to, sid) if company_id else None
        return None if call_id is None else (call_id, repository.call_uuid(sql, call_id))

    return await _call_callback(request, session, params, clock.now(), find, provider_id=None)
