"""The signature a receiver checks and the retry schedule, without a database."""

from __future__ import annotations

from datetime import timedelta

from leadflow.webhooks.delivery import retry_delay
from leadflow.webhooks.signing import signature, signature_header, verify

SECRET = "whsec_test"
BODY = b'{"event":"new_lead"}'


def test_signature_is_hmac_sha256_of_time_dot_body() -> None:
    import hashlib
    import hmac

    expected = hmac.new(SECRET.encode(), b"1700000000." + BODY, hashlib.sha256).hexdigest()
    assert signature(SECRET, 1700000000, BODY) == expected
    assert signature_header(SECRET, 1700000000, BODY) == f"t=1700000000,v1={expected}"


def test_receiver_refuses_a_changed_body_or_a_stale_time() -> None:
    header = signature_header(SECRET, 1700000000, BODY)
    assert verify(SECRET, header, BODY, now=1700000100)
    assert not verify(SECRET, header, BODY + b" ", now=1700000100)
    assert not verify(SECRET, header, BODY, now=1700000000 + 301)
    assert not verify(SECRET, "v1=abc", BODY, now=1700000000)


def test_retry_delay_doubles_from_thirty_seconds_up_to_an_hour() -> None:
    assert [retry_delay(n, 0.0).total_seconds() for n in range(1, 9)] == [
        30,
        60,
        120,
        240,
        480,
        960,
        1920,
        3600,
    ]
    assert retry_delay(1, 0.999) < timedelta(seconds=33)
    assert retry_delay(20, 0.0) == timedelta(hours=1)
