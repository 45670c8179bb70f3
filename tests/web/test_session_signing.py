"""The session cookie is signed (itsdangerous): only this installation's secret makes one."""

from __future__ import annotations

from datetime import UTC, datetime

from leadflow.clock import FrozenClock
from leadflow.web.session import SessionSigner

CLOCK = FrozenClock(datetime(2026, 12, 6, 12, tzinfo=UTC))


def signer(secret: bytes) -> SessionSigner:
    return SessionSigner(secret, 3600, CLOCK)


def test_a_cookie_round_trips_with_its_csrf_token_and_sign_in() -> None:
    ours = signer(b"ours")
    session = ours.new(token="t0k3n")
    loaded = ours.loads(ours.dumps(session))
    assert loaded is not None
    assert (loaded.csrf_token, loaded.token) == (session.csrf_token, "t0k3n")


def test_a_cookie_signed_with_another_secret_is_no_session() -> None:
    theirs = signer(b"theirs")
    assert signer(b"ours").loads(theirs.dumps(theirs.new(token="t0k3n"))) is None


def test_garbage_and_oversized_cookies_are_no_session() -> None:
    ours = signer(b"ours")
    good = ours.dumps(ours.new())
    for cookie in ("", "x", "a.b", "a.b.c", good + "x", good[:-1], good + "." * 5000):
        assert ours.loads(cookie) is None, cookie
