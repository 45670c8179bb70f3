"""Recording a call's money and conversion: the one implementation the API's
``PUT /api/v1/calls/:id`` and the web app's call page both run; the caller commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from leadflow.calls.conversion import announce_call_changed, convert_lead_of, converts
from leadflow.calls.repository import CallRepository
from leadflow.calls.schemas import CallUpdate
from leadflow.calls.serializer import cents
from leadflow.db.session import flush_or_422
from leadflow.kit.errors import TrackDriveError
from leadflow.models import Call

MONEY = ("revenue", "payout")


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(key) or _has_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    return False


def checked_changes(body: CallUpdate) -> dict[str, Any]:
    """The fields sent, or a 422 naming each null one and tokens PostgreSQL cannot keep."""
    changes: dict[str, Any] = body.model_dump(exclude_unset=True)
    errors = {name: ["can't be blank"] for name, value in changes.items() if value is None}
    tokens = changes.get("post_call_tokens")
    if tokens is not None and _has_nul(tokens):
        errors["post_call_tokens"] = ["can't contain NUL characters"]
    if errors:
        raise TrackDriveError.invalid(errors)
    return changes


async def update_call(repo: CallRepository, call: Call, body: CallUpdate, now: datetime) -> None:
    """Record revenue, payout, conversion and post-call tokens. A call marked converted ends
    its lead as ``completed_converted`` and fires ``lead_converted``; every update fires
    ``call_changed``."""
    changes = checked_changes(body)
    for name in MONEY:
        if name in changes:
            setattr(call, f"{name}_cents", cents(changes[name]))
    for name in ("buyer_converted", "offer_converted"):
        if name in changes:
            setattr(call, name, changes[name])
    if "post_call_tokens" in changes:
        call.post_call_tokens = {**call.post_call_tokens, **changes["post_call_tokens"]}
    call.updated_at = now
    if changes:
        repo.add_event(call, "updated", {"fields": sorted(changes)}, now)
    if converts(changes):
        await convert_lead_of(repo, call, changes, now)
    await flush_or_422(repo.session)
    if changes:
        await announce_call_changed(repo, call, now)
