"""The optional AI qualifier: any OpenAI-compatible chat completions endpoint judges a lead
the rules passed.

The model is asked for a JSON object ``{"qualified": bool, "score": 0-100, "reason": str}``.
Anything else (no answer, a timeout, a refused URL, prose instead of JSON) is "no verdict":
the rules' verdict stands, so the pipeline works fully without the AI, and an outage at the
AI provider never loses or blocks leads.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from leadflow.campaigns.config import AiQualifier
from leadflow.submissions.pipeline.delivery import UrlPolicy
from leadflow.webhooks.sender import RefusedUrlError, check_target

SYSTEM_PROMPT = (
    "You qualify sales leads for a buyer. Answer with one JSON object only: "
    '{"qualified": true or false, "score": a number from 0 to 100, "reason": "short text"}.'
)
_JSON_OBJECT = re.compile(r"\{.*\}", re.DOTALL)


@dataclass(frozen=True)
class AiVerdict:
    passed: bool | None
    score: float | None
    reason: str | None


def completions_url(base_url: str) -> str:
    """``https://api.example/v1`` → ``…/v1/chat/completions`` (a full URL is kept)."""
    base = base_url.rstrip("/")
    return base if base.endswith("/chat/completions") else f"{base}/chat/completions"


def build_request(
    config: AiQualifier, lead: Mapping[str, Any], fields: list[str]
) -> dict[str, Any]:
    instructions = config.instructions or "Decide whether this lead is worth buying."
    content = {
        "instructions": instructions,
        "fieldsTheBuyerChecks": fields,
        "lead": lead,
    }
    return {
        "model": config.model,
        "temperature": 0,
        "messages": [
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": orjson.dumps(content, default=str).decode()},
        ],
    }


def read_verdict(answer: Any) -> AiVerdict:
    """The verdict in a chat completion; ``passed`` None when it holds none."""
    try:
        text = str(answer["choices"][0]["message"]["content"])
    except (KeyError, IndexError, TypeError):
        return AiVerdict(None, None, "the AI answer has no message")
    found = _JSON_OBJECT.search(text)
    try:
        parsed = orjson.loads(found.group(0)) if found else None
    except orjson.JSONDecodeError:
        parsed = None
    if not isinstance(parsed, dict) or not isinstance(parsed.get("qualified"), bool):
        return AiVerdict(None, None, f"the AI answer is not a verdict: {text[:200]}")
    score = parsed.get("score")
    number = (
        float(score) if isinstance(score, int | float) and not isinstance(score, bool) else None
    )
    if number is not None:
        number = max(0.0, min(100.0, number))
    reason = parsed.get("reason")
    return AiVerdict(parsed["qualified"], number, str(reason)[:500] if reason else None)


async def ask(
    http: httpx.AsyncClient,
    config: AiQualifier,
    lead: Mapping[str, Any],
    fields: list[str],
    policy: UrlPolicy,
) -> AiVerdict:
    # The whole exchange within the timeout: httpx's own applies to each connect and each
    # read, so an endpoint that answers a byte at a time would hold the submission past its
    # lease (see job.ask_then_send), and the sweep would then hand it to another round.
    try:
        async with asyncio.timeout(config.timeout_seconds):
            return await _asked(http, config, lead, fields, policy)
    except TimeoutError:
        return AiVerdict(
            None, None, f"AI endpoint did not answer within {config.timeout_seconds:g} s"
        )


async def _asked(
    http: httpx.AsyncClient,
    config: AiQualifier,
    lead: Mapping[str, Any],
    fields: list[str],
    policy: UrlPolicy,
) -> AiVerdict:
    url = completions_url(str(config.base_url))
    try:
        await check_target(url, policy.allow_private, policy.allow_loopback)
    except (RefusedUrlError, OSError) as exc:
        return AiVerdict(None, None, f"AI endpoint refused: {exc}")
    headers = {"Authorization": f"Bearer {config.api_key}"} if config.api_key else {}
    try:
        response = await http.post(
            url,
            json=build_request(config, lead, fields),
            headers=headers,
            timeout=config.timeout_seconds,
            follow_redirects=False,
        )
    except httpx.HTTPError as exc:
        return AiVerdict(None, None, f"AI endpoint unreachable: {type(exc).__name__}")
    if response.status_code != 200:
        return AiVerdict(None, None, f"AI endpoint answered HTTP {response.status_code}")
    try:
        return read_verdict(response.json())
    except ValueError:
        return AiVerdict(None, None, "the AI answer is not JSON")
