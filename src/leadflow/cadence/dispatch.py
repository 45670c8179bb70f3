"""Sending what committed decisions owe, then writing down what the providers answered.

Each effect is sent exactly once from here; nothing re-reads the database to send again, so a
worker that dies after the commit loses at most the sends it had not made yet (their rows stay
``queued`` and :mod:`~leadflow.cadence.sweep` marks them ``unknown``), and never repeats one.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import datetime

import httpx

from leadflow.cadence import repository
from leadflow.cadence.effects import CallWebhook, Effect, PlaceCall, SendEmail, SendSms
from leadflow.calls.status import record_call_status, record_message_status
from leadflow.channels.protocol import Channels, SendResult
from leadflow.db.statements import Sql
from leadflow.models import CallStatus, MessageStatus
from leadflow.settings import Settings
from leadflow.webhooks.sender import RefusedUrlError, check_target

log = logging.getLogger(__name__)

MAX_CONCURRENT_SENDS = 64


@dataclass(frozen=True)
class Sent:
    effect: Effect
    result: SendResult


async def send_all(
    effects: list[Effect], channels: Channels, http: httpx.AsyncClient, settings: Settings
) -> list[Sent]:
    """Send every effect once, a bounded number at a time, in the order decided."""
    gate = asyncio.Semaphore(MAX_CONCURRENT_SENDS)

    async def one(effect: Effect) -> Sent:
        async with gate:
            try:
                return Sent(effect, await _send(effect, channels, http, settings))
            except Exception as exc:  # a provider bug must not lose the other results
                log.exception("sending %s failed", type(effect).__name__)
                return Sent(effect, SendResult(accepted=False, status="unknown", error=str(exc)))

    return list(await asyncio.gather(*(one(effect) for effect in effects)))


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
    """Write each provider's answer to its row (one transaction for the whole batch)."""
    for item in sent:
        effect, result = item.effect, item.result
        if isinstance(effect, PlaceCall):
            if result.provider_id and result.status not in CallStatus.FINAL:
                repository.set_provider_id(sql, "calls", effect.call_id, result.provider_id)
            record_call_status(
                sql,
                call_id=effect.call_id,
                status=result.status if result.accepted else _failed(result),
                now=now,
                provider_id=result.provider_id,
                duration=result.duration,
                answered=result.answered,
                error=result.error,
            )
        elif isinstance(effect, SendSms | SendEmail):
            if result.provider_id and result.status not in MessageStatus.FINAL:
                repository.set_provider_id(sql, "messages", effect.message_id, result.provider_id)
            record_message_status(
                sql,
                message_id=effect.message_id,
                status=result.status if result.accepted else _failed(result),
                now=now,
                provider_id=result.provider_id,
                error=result.error,
            )
        else:
            lead = {"company_id": effect.company_id, "id": effect.lead_id}
            data = {
                "action_index": effect.action_index,
                "url": effect.url,
                "status": result.status,
                "duration_ms": result.duration,
            }
            if result.error:
                data["error"] = result.error
            kind = "webhook_sent" if result.accepted else "webhook_failed"
            repository.add_lead_event(sql, lead, kind, data, now)


def _failed(result: SendResult) -> str:
    return "unknown" if result.status == "unknown" else "failed"
