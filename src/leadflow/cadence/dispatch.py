"""Sending what committed decisions owe, then writing down what the providers answered.

Each effect is sent exactly once from here; nothing re-reads the database to send again, so a
worker that dies after the commit loses at most the sends it had not made yet (their rows stay
``queued`` and :mod:`~leadflow.cadence.sweep` marks them ``unknown``), and never repeats one.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from leadflow.cadence import answers, bulk
from leadflow.cadence.effects import CallWebhook, Effect, PlaceCall, SendEmail, SendSms
from leadflow.channels.protocol import Channels, SendResult
from leadflow.db.statements import Sql
from leadflow.ops.metrics import record_cadence_sends
from leadflow.settings import Settings
from leadflow.webhooks.sender import RefusedUrlError, check_target

log = logging.getLogger(__name__)

MAX_CONCURRENT_SENDS = 64


@dataclass(frozen=True)
class Sent:
    effect: Effect
    result: SendResult


async def send_all(
    effects: Sequence[Effect], channels: Channels, http: httpx.AsyncClient, settings: Settings
) -> list[Sent]:
    """Send every effect once, a bounded number at a time, in the order decided.

    ``MAX_CONCURRENT_SENDS`` lanes take the next effect in turn (one task per lane rather than
    per effect: a batch holds thousands of sends, most of which finish at once)."""
    sent: list[Sent | None] = [None] * len(effects)
    queue = iter(enumerate(effects))

    async def lane() -> None:
        for index, effect in queue:
            try:
                result = await _send(effect, channels, http, settings)
            except Exception as exc:  # a provider bug must not lose the other results
                log.exception("sending %s failed", type(effect).__name__)
                result = SendResult(accepted=False, status="unknown", error=str(exc))
            sent[index] = Sent(effect, result)

    await asyncio.gather(*(lane() for _ in range(min(MAX_CONCURRENT_SENDS, len(effects)))))
    done = [item for item in sent if item is not None]
    record_cadence_sends((_CHANNELS[type(item.effect)], _outcome(item.result)) for item in done)
    return done


_CHANNELS: dict[type, str] = {
    PlaceCall: "call",
    SendSms: "sms",
    SendEmail: "email",
    CallWebhook: "webhook",
}


def _outcome(result: SendResult) -> str:
    """``accepted``, or why not, in a few values (a metric label, so never the error text)."""
    if result.accepted:
        return "accepted"
    return "refused" if result.status == "refused" else "failed"


async def _send(
    effect: Effect, channels: Channels, http: httpx.AsyncClient, settings: Settings
) -> SendResult:
    if isinstance(effect, PlaceCall):
        return await channels.voice.place_call(effect.call)
    if isinstance(effect, SendSms):
        return await channels.sms.send_sms(effect.sms)
    if isinstance(effect, SendEmail):
        return await channels.email.send_email(effect.email)
    return await _call_webhook(effect, http, settings)


async def _call_webhook(
    effect: CallWebhook, http: httpx.AsyncClient, settings: Settings
) -> SendResult:
    try:
        await check_target(effect.url, settings.allow_private_urls, settings.allow_loopback_urls)
    except RefusedUrlError as exc:
        return SendResult(accepted=False, status="refused", error=f"the URL {exc}")
    except OSError as exc:
        return SendResult(accepted=False, status="failed", error=f"cannot resolve: {exc}")
    started = time.perf_counter()
    try:
        response = await http.request(
            effect.method, effect.url, content=effect.body or None, headers=effect.headers
        )
    except httpx.HTTPError as exc:
        return SendResult(accepted=False, status="failed", error=f"{type(exc).__name__}: {exc}")
    elapsed = int((time.perf_counter() - started) * 1000)
    return SendResult(
        accepted=response.is_success,
        status=str(response.status_code),
        duration=elapsed,
        error=None if response.is_success else response.text[:500],
    )


def record_sent(sql: Sql, sent: list[Sent], now: datetime) -> None:
    """Write each provider's answer to its row (one transaction for the whole batch, a few
    statements per kind of answer: see :mod:`~leadflow.cadence.answers`)."""
    calls: list[dict[str, Any]] = []
    messages: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for item in sent:
        effect, result = item.effect, item.result
        answer = {
            "status": result.status if result.accepted else _failed(result),
            "provider_id": result.provider_id or None,
            "error": result.error or None,
        }
        if isinstance(effect, PlaceCall):
            calls.append(
                {
                    **answer,
                    "id": effect.call_id,
                    "duration": result.duration,
                    "answered": result.answered,
                }
            )
        elif isinstance(effect, SendSms | SendEmail):
            messages.append({**answer, "id": effect.message_id})
        else:
            data: dict[str, Any] = {
                "action_index": effect.action_index,
                "url": effect.url,
                "status": result.status,
                "duration_ms": result.duration,
            }
            if result.error:
                data["error"] = result.error
            kind = "webhook_sent" if result.accepted else "webhook_failed"
            events.append(
                {
                    "company_id": effect.company_id,
                    "lead_id": effect.lead_id,
                    "kind": kind,
                    "data": data,
                }
            )
    answers.record_messages(sql, messages, now)
    answers.record_calls(sql, calls, now)
    bulk.add_lead_events(sql, events, now)


def _failed(result: SendResult) -> str:
    return "unknown" if result.status == "unknown" else "failed"
