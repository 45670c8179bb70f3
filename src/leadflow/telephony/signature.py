"""Twilio's request signature, which SignalWire and other compatible providers send too.

``X-Twilio-Signature`` is ``base64(HMAC-SHA1(auth_token, url + name1 + value1 + name2 + ...))``
over the URL the provider called (query string included) and the POST parameters sorted by
name. Anyone who can reach our callback URLs could otherwise end calls or opt numbers out.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence

from starlette.requests import Request


def compute_signature(auth_token: str, url: str, params: Sequence[tuple[str, str]]) -> str:
    """The signature a provider holding ``auth_token`` sends for this request. A name given
    more than once contributes each of its values, sorted, as Twilio's own helpers do."""
    grouped: dict[str, set[str]] = {}
    for name, value in params:
        grouped.setdefault(name, set()).add(value)
    signed = url + "".join(
        name + value for name in sorted(grouped) for value in sorted(grouped[name])
    )
    digest = hmac.new(auth_token.encode(), signed.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def signature_matches(
    auth_token: str, url: str, params: Sequence[tuple[str, str]], signature: str | None
) -> bool:
    """False without a token (nothing can be verified) or without a signature."""
    if not auth_token or not signature:
        return False
    expected = compute_signature(auth_token, url, params)
    return hmac.compare_digest(expected.encode(), signature.encode())


def signed_url(request: Request, public_url: str) -> str:
    """The URL the provider was given: ours as configured (behind a proxy the request's own
    scheme and host differ from it), else the one the request arrived at."""
    if not public_url:
        return str(request.url)
    query = request.url.query
    return public_url.rstrip("/") + request.url.path + (f"?{query}" if query else "")
