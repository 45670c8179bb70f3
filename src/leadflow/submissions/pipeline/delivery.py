"""Step 7: send the payload to the buyer's endpoint and read the answer.

Only a timeout, a connection error or a 5xx is tried again (up to the endpoint's
``maxRetries``, with a short doubling pause): a buyer that answered has decided, and posting
again could sell the same lead twice (an answer over the size cap too: it fails the delivery
at once). The URL policy runs before every send, and the client
connects only to an address it passed (:mod:`leadflow.kit.pinned_http`); redirects are never
followed. Nothing here raises for
anything the buyer or the network does.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import httpx

from leadflow.campaigns.config import DeliveryEndpoint, OAuthClientCredentials
from leadflow.kit.answer_limits import AnswerTooLargeError
from leadflow.submissions.payload import EncodedBody
from leadflow.submissions.response_parsing import BuyerVerdict, classify_response
from leadflow.webhooks.sender import RefusedUrlError, check_target

USER_AGENT = "Leadflow-Delivery"
FIRST_RETRY_SECONDS = 0.25
MAX_RETRY_SECONDS = 5.0
MAX_TEXT = 500


def retry_pause(failed_attempts: int) -> float:
    return float(min(FIRST_RETRY_SECONDS * 2 ** (failed_attempts - 1), MAX_RETRY_SECONDS))


def longest_send_seconds(endpoint: DeliveryEndpoint) -> float:
    """An upper bound on one delivery with all its retries (the claim's lease must outlast
    it, or the sweep would call a delivery still under way interrupted)."""
    tries = endpoint.max_retries + 1
    pauses = sum(retry_pause(n) for n in range(1, tries))
    # An OAuth token fetch first, bounded as one try is (see TokenCache).
    fetches = 1 if isinstance(endpoint.auth, OAuthClientCredentials) else 0
    return (tries + fetches) * (endpoint.timeout_seconds * 2) + pauses


@dataclass(frozen=True)
class Attempt:
    attempt: int
    status_code: int | None
    error: str | None
    duration_ms: int

    def record(self) -> dict[str, Any]:
        return {
            "attempt": self.attempt,
            "statusCode": self.status_code,
            "error": self.error,
            "durationMs": self.duration_ms,
        }


@dataclass(frozen=True)
class Delivered:
    """What the delivery came to: the buyer's verdict, or why none was had."""

    verdict: BuyerVerdict
    status_code: int | None
    response_text: str | None
    attempts: list[Attempt] = field(default_factory=list)
    refused: bool = False


class TokenUnavailableError(Exception):
    """The fetch a lead waited for failed: the lead fails with that fetch's reason."""


@dataclass
class TokenCache:
    """OAuth 2 client-credentials tokens per (token URL, client), kept until shortly before
    they expire, so a busy campaign does not fetch one per lead.

    One fetch at a time per client, and the leads that queued behind it share its outcome:
    its token, or its failure. Were each waiter to try again in turn, a token URL that never
    answers would hold every queued lead of the campaign for its own timeout, one after the
    other, and with them the worker's delivery slots, which every company's leads share."""

    tokens: dict[tuple[str, str], tuple[float, str]] = field(default_factory=dict)
    locks: dict[tuple[str, str], asyncio.Lock] = field(default_factory=dict)
    fetches: dict[tuple[str, str], int] = field(default_factory=dict)
    """How many fetches per client have ended, and the reason the last one failed (if so)."""
    failed: dict[tuple[str, str], str] = field(default_factory=dict)

    async def token(
        self,
        http: httpx.AsyncClient,
        auth: OAuthClientCredentials,
        policy: UrlPolicy,
        timeout_seconds: float,
    ) -> str:
        """The client's token, fetched within ``timeout_seconds`` to connect and to read
        (the endpoint's own, which the delivery's lease counts, see longest_send_seconds)."""
        key = (str(auth.token_url), auth.client_id)
        seen = self.fetches.get(key, 0)
        async with self.locks.setdefault(key, asyncio.Lock()):
            hit = self.tokens.get(key)
            if hit is not None and hit[0] > time.monotonic():
                return hit[1]
            if self.fetches.get(key, 0) > seen and key in self.failed:
                raise TokenUnavailableError(self.failed[key])
            try:
                token = await self._fetch(http, auth, policy, key, timeout_seconds)
            except _TOKEN_ERRORS as exc:
                self.failed[key] = f"{type(exc).__name__}: {exc}"
                raise
            else:
                self.failed.pop(key, None)
                return token
            finally:
                self.fetches[key] = self.fetches.get(key, 0) + 1

    async def _fetch(
        self,
        http: httpx.AsyncClient,
        auth: OAuthClientCredentials,
        policy: UrlPolicy,
        key: tuple[str, str],
        timeout_seconds: float,
    ) -> str:
        await check_target(str(auth.token_url), policy.allow_private, policy.allow_loopback)
        form = {"grant_type": "client_credentials"}
        if auth.scope:
            form["scope"] = auth.scope
        response = await http.post(
            str(auth.token_url),
            data=form,
            auth=(auth.client_id, auth.client_secret),
            follow_redirects=False,
            timeout=httpx.Timeout(timeout_seconds),
        )
        response.raise_for_status()
        answer = response.json()
        token = str(answer["access_token"])
        lifetime = float(answer.get("expires_in") or 300)
        self.tokens[key] = (time.monotonic() + max(lifetime - 30, 0), token)
        return token


_TOKEN_ERRORS = (httpx.HTTPError, RefusedUrlError, KeyError, ValueError, OSError)
"""What a token URL (or a refused one) can make a fetch raise: the lead fails, nothing more."""


@dataclass(frozen=True)
class UrlPolicy:
    allow_private: bool
    allow_loopback: bool


async def deliver(
    http: httpx.AsyncClient,
    endpoint: DeliveryEndpoint,
    body: EncodedBody,
    policy: UrlPolicy,
    tokens: TokenCache,
) -> Delivered:
    url = str(endpoint.url)
    try:
        await check_target(url, policy.allow_private, policy.allow_loopback)
    except RefusedUrlError as exc:
        return _refused(f"endpoint url refused: {exc}")
    try:
        headers = await _headers(http, endpoint, body, policy, tokens)
    except TokenUnavailableError as exc:
        return _refused(f"could not get an OAuth token: {exc}"[:MAX_TEXT])
    except _TOKEN_ERRORS as exc:
        return _refused(f"could not get an OAuth token: {type(exc).__name__}: {exc}"[:MAX_TEXT])
    attempts: list[Attempt] = []
    timeout = httpx.Timeout(endpoint.timeout_seconds)
    for number in range(1, endpoint.max_retries + 2):
        started = time.perf_counter()
        try:
            response = await http.request(
                endpoint.method,
                url,
                **_body_arguments(endpoint, body),
                headers=headers,
                timeout=timeout,
                follow_redirects=False,
            )
        except RefusedUrlError as exc:
            return _refused(f"endpoint url refused: {exc}"[:MAX_TEXT])
        except AnswerTooLargeError as exc:
            # The buyer answered (it may have taken the lead): never sent again.
            error = f"{type(exc).__name__}: {exc}"[:MAX_TEXT]
            attempts.append(Attempt(number, None, error, _elapsed(started)))
            return Delivered(BuyerVerdict("error", error), None, None, attempts)
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}".strip()[:MAX_TEXT]
            attempts.append(Attempt(number, None, error, _elapsed(started)))
            if number <= endpoint.max_retries:
                await asyncio.sleep(retry_pause(number))
                continue
            verdict = BuyerVerdict("error", f"no answer after {number} tries: {error}")
            return Delivered(verdict, None, None, attempts)
        attempts.append(Attempt(number, response.status_code, None, _elapsed(started)))
        if response.status_code >= 500 and number <= endpoint.max_retries:
            await asyncio.sleep(retry_pause(number))
            continue
        verdict = classify_response(
            endpoint.response,
            response.status_code,
            response.headers.get("content-type"),
            response.content,
        )
        return Delivered(verdict, response.status_code, response.text[:MAX_TEXT], attempts)
    raise AssertionError("unreachable: the last try always returns")


def _refused(reason: str) -> Delivered:
    return Delivered(BuyerVerdict("error", reason), None, None, [], refused=True)


def _elapsed(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)


async def _headers(
    http: httpx.AsyncClient,
    endpoint: DeliveryEndpoint,
    body: EncodedBody,
    policy: UrlPolicy,
    tokens: TokenCache,
) -> dict[str, str]:
    headers = {"User-Agent": USER_AGENT, **endpoint.headers}
    if endpoint.method != "GET":
        headers["Content-Type"] = body.content_type
    auth = endpoint.auth
    if auth is None:
        return headers
    if isinstance(auth, OAuthClientCredentials):
        token = await tokens.token(http, auth, policy, endpoint.timeout_seconds)
        headers["Authorization"] = f"Bearer {token}"
        return headers
    return {**headers, **auth.headers}


def _body_arguments(endpoint: DeliveryEndpoint, body: EncodedBody) -> dict[str, Any]:
    """GET carries the payload as a query string (form-encoded), every other method as a body."""
    if endpoint.method == "GET":
        return {"params": _query_pairs(body)}
    return {"content": body.content}


def _query_pairs(body: EncodedBody) -> list[tuple[str, str]]:
    """A GET's payload is always form-encoded (see ``steps``), so it reads back as pairs."""
    return parse_qsl(body.content.decode("utf-8", "replace"), keep_blank_values=True)
