"""The signature header of a webhook delivery, Stripe-style, so receivers can use what they know.

``X-Leadflow-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>``. The time
is signed with the body so a captured request cannot be replayed later: a receiver recomputes
the HMAC over the exact bytes it received, compares in constant time, and refuses a ``t`` older
than a few minutes.
"""

from __future__ import annotations

import hashlib
import hmac

HEADER = "X-Leadflow-Signature"
VERSION = "v1"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of ``"<timestamp>.<body>"`` under the subscription's secret."""
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},{VERSION}={signature(secret, timestamp, body)}"


def verify(secret: str, header: str, body: bytes, now: int, tolerance: int = 300) -> bool:
    """What a receiver does (and what the tests and README show): True when ``header`` signs
    ``body`` with ``secret`` and its time is within ``tolerance`` seconds of ``now``."""
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body)
    return hmac.compare_digest(expected, parts.get(VERSION, ""))
