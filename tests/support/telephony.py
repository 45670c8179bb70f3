"""A small Twilio-compatible REST server on loopback, for tests of calls and texts.

It speaks ``POST /2010-04-01/Accounts/{AccountSid}/Calls.json`` and ``.../Messages.json`` as
Twilio does: HTTP Basic auth (401, code 20003, otherwise), a To in E.164 (400, code 21211,
otherwise), a From (21603), a Body for texts (21602), Url or Twiml for calls (21205); it
answers 201 with Twilio-shaped JSON (``sid`` ``CA...``/``SM...``, ``status`` ``queued``).

Use the ``telephony_server`` fixture::

    def test_x(telephony_server: TelephonyServer) -> None:
        settings = Settings(..., public_url="http://leadflow.test", **telephony_server.settings())
        ...
        assert len(telephony_server.calls) == 1
        assert telephony_server.calls[0].field("To") == "+12025550143"

Its API, all of it:

- ``url``, ``account_sid``, ``auth_token``; ``settings()`` the matching ``Settings`` keywords.
- ``requests``: every request, in order, recorded before it is answered (even one that is
  then left hanging); ``calls`` and ``messages`` the accepted creates only.
- ``mode``: ``"ok"`` (default), ``"fail"`` (500), ``"hang"`` (read the request, never answer),
  ``"drop"`` (read the request, close the connection without an answer).
- ``refuse()``: stop listening for good, so connections are refused.
- ``status_callback(request, status, **fields)``: the signed form POST the provider would
  send to the request's StatusCallback, for a test to deliver with its own client.
- ``sign(url, params)``: Twilio's ``X-Twilio-Signature`` for a URL and form.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import threading
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import parse_qs

import pytest

API_VERSION = "2010-04-01"
E164 = re.compile(r"^\+[1-9]\d{6,14}$")
PATH = re.compile(
    rf"^/{API_VERSION}/Accounts/(?P<account>[^/]+)/(?P<resource>Calls|Messages)\.json$"
)
HANG_LIMIT_SECONDS = 60.0

Mode = Literal["ok", "fail", "hang", "drop"]


@dataclass
class RecordedRequest:
    method: str
    path: str
    form: dict[str, list[str]]
    auth: tuple[str, str] | None
    """The Basic credentials sent, as (user, password)."""
    resource: str | None = None
    """``"Calls"`` or ``"Messages"`` when the path is one of ours."""
    status: int | None = None
    """What the server answered; ``None`` while hanging or when dropped."""
    sid: str | None = None
    """The sid given to an accepted create."""

    def field(self, name: str) -> str | None:
        """The first value of a form field (``values(name)`` for repeated ones)."""
        values = self.form.get(name)
        return values[0] if values else None

    def values(self, name: str) -> list[str]:
        return self.form.get(name, [])


@dataclass(frozen=True)
class StatusCallback:
    url: str
    form: dict[str, str]
    headers: dict[str, str]


def twilio_signature(auth_token: str, url: str, params: Mapping[str, str | Sequence[str]]) -> str:
    """Twilio's request signature: HMAC-SHA1 over the URL and the sorted form, base64."""
    payload = url
    for name in sorted(params):
        value = params[name]
        for item in sorted({value} if isinstance(value, str) else set(value)):
            payload += name + item
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


@dataclass
class TelephonyServer:
    account_sid: str = field(default_factory=lambda: "AC" + uuid.uuid4().hex)
    auth_token: str = field(default_factory=lambda: uuid.uuid4().hex)
    mode: Mode = "ok"
    requests: list[RecordedRequest] = field(default_factory=list)
    _httpd: ThreadingHTTPServer | None = None
    _release: threading.Event = field(default_factory=threading.Event)
    _stopped: bool = False

    @property
    def url(self) -> str:
        assert self._httpd is not None, "not started"
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def calls(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.resource == "Calls" and r.sid]

    @property
    def messages(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.resource == "Messages" and r.sid]

    def settings(self) -> dict[str, Any]:
        """Keywords for ``Settings`` that send voice and SMS here."""
        return {
            "voice_provider": "twilio",
            "sms_provider": "twilio",
            "twilio_api_url": self.url,
            "twilio_account_sid": self.account_sid,
            "twilio_auth_token": self.auth_token,
        }

    def sign(self, url: str, params: Mapping[str, str | Sequence[str]]) -> str:
        return twilio_signature(self.auth_token, url, params)

    def status_callback(
        self, request: RecordedRequest, status: str, **fields: str
    ) -> StatusCallback:
        """The callback the provider would POST for ``request`` reaching ``status``.

        Calls carry ``CallSid``/``CallStatus`` (pass ``CallDuration="42"`` and the like as
        fields), texts ``MessageSid``/``MessageStatus`` (and ``ErrorCode`` ...).
        """
        url = request.field("StatusCallback")
        assert url, "the request has no StatusCallback"
        assert request.sid, "the provider did not accept the request"
        common = {
            "AccountSid": self.account_sid,
            "From": request.field("From") or "",
            "To": request.field("To") or "",
            "ApiVersion": API_VERSION,
        }
        if request.resource == "Calls":
            form = {**common, "CallSid": request.sid, "CallStatus": status}
            form["Direction"] = "outbound-api"
        else:
            form = {**common, "MessageSid": request.sid, "SmsSid": request.sid}
            form["MessageStatus"] = status
            form["SmsStatus"] = status
        form.update(fields)
        headers = {"X-Twilio-Signature": self.sign(url, form)}
        return StatusCallback(url=url, form=form, headers=headers)

    def start(self) -> None:
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True).start()

    def refuse(self) -> None:
        """Stop listening: from now on a connection is refused (the URL stays the same)."""
        self.stop()

    def stop(self) -> None:
        """Release hanging requests and close the port; safe to call twice."""
        self._release.set()
        if self._httpd is not None and not self._stopped:
            self._stopped = True
            self._httpd.shutdown()
            self._httpd.server_close()

    def answer(self, request: RecordedRequest) -> tuple[int, dict[str, Any]]:
        """Decide the reply to one request, as Twilio would (``mode`` aside)."""
        match = PATH.match(request.path)
        if request.method != "POST" or match is None:
            return 404, _error(20404, "The requested resource was not found", 404)
        if request.auth != (self.account_sid, self.auth_token):
            return 401, _error(20003, "Authenticate", 401)
        if match["account"] != self.account_sid:
            return 404, _error(20404, "The requested resource was not found", 404)
        if self.mode == "fail":
            return 500, _error(20500, "Internal Server Error", 500)
        to, from_ = request.field("To") or "", request.field("From")
        if not E164.match(to):
            return 400, _error(21211, f"The 'To' number {to} is not a valid phone number.", 400)
        if not from_:
            return 400, _error(21603, "A 'From' phone number is required.", 400)
        request.resource = match["resource"]
        if request.resource == "Calls":
            if not (request.field("Url") or request.field("Twiml")):
                return 400, _error(21205, "Url parameter is required.", 400)
            request.sid = "CA" + uuid.uuid4().hex
        else:
            if not request.field("Body"):
                return 400, _error(21602, "Message body is required.", 400)
            request.sid = "SM" + uuid.uuid4().hex
        return 201, self._resource(request, to, from_)

    def _resource(self, request: RecordedRequest, to: str, from_: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "sid": request.sid,
            "account_sid": self.account_sid,
            "to": to,
            "from": from_,
            "status": "queued",
            "direction": "outbound-api",
            "api_version": API_VERSION,
            "date_created": formatdate(usegmt=True),
            "uri": f"/{API_VERSION}/Accounts/{self.account_sid}/{request.resource}/{request.sid}"
            ".json",
        }
        if request.resource == "Messages":
            body |= {"body": request.field("Body"), "num_segments": "1", "error_code": None}
        return body

    def hold(self) -> None:
        """Block a handler thread until the test ends (``hang`` mode)."""
        self._release.wait(HANG_LIMIT_SECONDS)


def _error(code: int, message: str, status: int) -> dict[str, Any]:
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


def _handler_for(server: TelephonyServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self._serve("POST")

        def do_GET(self) -> None:
            self._serve("GET")

        def _serve(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode() if length else ""
            request = RecordedRequest(
                method=method,
                path=self.path,
                form=parse_qs(raw, keep_blank_values=True),
                auth=_basic_auth(self.headers.get("Authorization")),
            )
            server.requests.append(request)
            if server.mode == "hang":
                server.hold()
                self.close_connection = True
                return
            if server.mode == "drop":
                self.close_connection = True
                return
            status, body = server.answer(request)
            request.status = status
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the recorded requests say what happened."""

    return Handler


def _basic_auth(header: str | None) -> tuple[str, str] | None:
    if not header or not header.startswith("Basic "):
        return None
    try:
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
    except ValueError:
        return None
    return user, password


@pytest.fixture
def telephony_server() -> Iterator[TelephonyServer]:
    """A fresh Twilio-compatible server on a free loopback port, stopped after the test."""
    server = TelephonyServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
