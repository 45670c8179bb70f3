"""The web app's session cookie: the CSRF token and, once signed in, the session's token.

The cookie is signed by ``itsdangerous`` (a serializer salted for this cookie, HMAC-SHA256); a
cookie nobody signed, or one that has expired, is simply no session. Expiry is checked against
the time stamped in the payload by the app's clock rather than ``itsdangerous``'s own
``time.time()``, so a frozen or moved clock in tests expires sessions like everything else.

Who is signed in is not in the cookie: it carries the random token of a ``web_sessions`` row
(``users.sessions``), looked up on every authenticated request, so that logout, a password
change or removing the user ends the sign-in at once. Every visitor, signed in or not, gets a
CSRF token in it, so that the login form is protected too (session-bound CSRF: each form
carries the token and a POST must send the same one back).
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from itsdangerous import BadData, URLSafeSerializer

from leadflow.clock import Clock
from leadflow.settings import Settings

COOKIE_NAME = "leadflow_session"
SECRET_FILE = Path("var") / "session-secret"


@dataclass(kw_only=True)
class WebSession:
    csrf_token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    # The web_sessions token once signed in; None for a visitor.
    token: str | None = None
    # Seconds since the epoch by the app's clock (SessionSigner.new stamps it), so a session
    # expires on the same clock as everything else, frozen or moved in tests.
    issued_at: float
    # Set when this request created or changed the session: the response must carry it.
    changed: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"c": self.csrf_token, "s": self.token, "t": self.issued_at}


def session_secret(settings: Settings) -> bytes:
    """The configured secret, or one created once under ./var/ and shared by every process
    started in this directory (so that a restart does not sign everybody out)."""
    configured = settings.session_secret.get_secret_value()
    if configured:
        return configured.encode()
    try:
        return SECRET_FILE.read_bytes().strip()
    except FileNotFoundError:
        pass
    SECRET_FILE.parent.mkdir(parents=True, exist_ok=True)
    candidate = secrets.token_urlsafe(48).encode()
    try:
        fd = os.open(SECRET_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        # Another process won the race: use its secret.
        return SECRET_FILE.read_bytes().strip()
    with os.fdopen(fd, "wb") as out:
        out.write(candidate)
    return candidate


@dataclass(frozen=True)
class SessionSigner:
    secret: bytes
    max_age_seconds: int
    clock: Clock
    serializer: URLSafeSerializer = field(init=False, repr=False)

    def __post_init__(self) -> None:
        signing = {"digest_method": hashlib.sha256}
        serializer = URLSafeSerializer(self.secret, salt=COOKIE_NAME, signer_kwargs=signing)
        object.__setattr__(self, "serializer", serializer)

    def new(self, token: str | None = None) -> WebSession:
        """A fresh session (new CSRF token) issued now, to be sent with this response."""
        return WebSession(token=token, issued_at=self.clock.now().timestamp(), changed=True)

    def dumps(self, session: WebSession) -> str:
        return str(self.serializer.dumps(session.to_json()))

    def loads(self, cookie: str | None) -> WebSession | None:
        """The session the cookie holds; None when it is missing, forged or expired."""
        if not cookie or len(cookie) > 4096:
            return None
        try:
            data = self.serializer.loads(cookie)
            session = WebSession(
                csrf_token=str(data["c"]),
                token=str(data["s"]) if data.get("s") is not None else None,
                issued_at=float(data["t"]),
            )
        except (BadData, ValueError, KeyError, TypeError):
            return None
        if session.issued_at + self.max_age_seconds < self.clock.now().timestamp():
            return None
        return session
