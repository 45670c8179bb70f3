"""A call's or a message's status as the provider reports it, recorded once and in order.

Providers retry callbacks and may deliver them out of order (``ringing`` after ``completed``),
and the cadence records the simulated channels' outcomes through the same functions. So a
status only moves forward: each status has a rank, an update whose rank is not above the
stored one changes nothing, and a final status is never left. The forward check is also in the
``UPDATE``'s ``WHERE``, so two callbacks racing on PostgreSQL cannot both apply.

These run for every call the cadence places: one ``SELECT`` (the call with its lead's
attribution), then only the writes the change needs.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from leadflow.db.statements import Row, Sql
from leadflow.models import CallStatus, LeadStatus, MessageStatus
from leadflow.webhooks.outbox import enqueue_event

_FINAL_RANK = 9

CALL_RANKS: dict[str, int] = {
    CallStatus.QUEUED: 0,
    CallStatus.INITIATED: 1,
    CallStatus.RINGING: 2,
    CallStatus.IN_PROGRESS: 3,
    **{status: _FINAL_RANK for status in CallStatus.FINAL},
}

# Twilio's message statuses beyond the ones the model names rank among them; ``read`` and
# ``canceled`` end a message as ``delivered`` and ``failed`` do.
MESSAGE_RANKS: dict[str, int] = {
    MessageStatus.QUEUED: 0,
    "accepted": 0,
    "scheduled": 0,
    "sending": 1,
    MessageStatus.SENT: 2,
    "read": _FINAL_RANK,
    "canceled": _FINAL_RANK,
    **{status: _FINAL_RANK for status in MessageStatus.FINAL},
}

_SENT = frozenset({MessageStatus.SENT, MessageStatus.DELIVERED, "read"})

_CALL_WITH_LEAD = (
    "SELECT c.*, l.status AS lead_status, l.offer_id AS lead_offer_id, "
    "l.traffic_source_id AS lead_traffic_source_id "
    "FROM calls c LEFT JOIN leads l ON l.id = c.lead_id WHERE c.id = :id"
)


@cache
def _earlier(ranks: tuple[tuple[str, int], ...], rank: int) -> str:
    """``'queued', 'ringing'``: the stored statuses a status of ``rank`` may replace."""
    return ", ".join(f"'{status}'" for status, r in ranks if r < rank)


def _forward_update(table: str, ranks: dict[str, int], status: str, columns: str) -> str:
    earlier = _earlier(tuple(sorted(ranks.items())), ranks[status])
    return f"UPDATE {table} SET {columns} WHERE id = :id AND status IN ({earlier})"


def is_answered(status: str, duration: int | None, answered: bool | None, row: Row) -> bool:
    """Explicit ``answered`` wins; else a completed call that lasted, or that was picked up."""
    if answered is not None:
        return answered
    if status != CallStatus.COMPLETED:
        return False
    return (duration or 0) > 0 or row.get("answered_at") is not None


def record_call_status(
    sql: Sql,
    *,
    call_id: int,
    status: str,
    now: datetime,
    provider_id: str | None = None,
    duration: int | None = None,
    answered: bool | None = None,
    error: str | None = None,
) -> bool:
    """Move the call to ``status``; False when nothing changed (an unknown status, a repeat,
    a status older than the stored one, or a call that already ended).

    A final status ends the call and, if it has a lead, lets a ``running`` lead go on with
    its schedule (``scheduled``, due now), counts a connected call, writes ``call_ended`` to
    the lead's timeline and queues the ``call_ended`` webhook."""
    rank = CALL_RANKS.get(status)
    if rank is None:
        return False
    row = sql.one(_CALL_WITH_LEAD, id=call_id)
    if row is None or CALL_RANKS.get(row["status"], 0) >= rank:
        return False
    final = rank == _FINAL_RANK
    was_answered = final and is_answered(status, duration, answered, row)
    picked_up = status == CallStatus.IN_PROGRESS or was_answered
    values: dict[str, Any] = {"status": status, "updated_at": now}
    if provider_id:
        values["provider_id"] = provider_id
    if error:
        values["error"] = error
    if picked_up and row.get("answered_at") is None:
        values["answered_at"] = now
    if final:
        values["ended_at"] = now
        values["duration"] = duration if duration is not None else row.get("duration")
    columns = ", ".join(f"{name} = :{name}" for name in values)
    statement = _forward_update("calls", CALL_RANKS, status, columns)
    if sql.run(statement, id=call_id, **values) == 0:
        return False
    row.update(values)
    event = {"status": status, "duration": values.get("duration"), "provider_id": provider_id}
    if final:
        event["answered"] = was_answered
    if error:
        event["error"] = error
    sql.run(
        "INSERT INTO call_events (company_id, call_id, kind, data, created_at) "
        "VALUES (:company_id, :call_id, 'status', :data, :now)",
        company_id=row["company_id"],
        call_id=call_id,
        data=event,
        now=now,
    )
    if status == CallStatus.RINGING:
        _call_webhook(sql, row, "call_ringing", now)
    elif final:
        if row["lead_id"] is not None:
            _continue_lead(sql, row, was_answered, now)
        _call_webhook(sql, row, "call_ended", now)
    return True


def _continue_lead(sql: Sql, call: Row, answered: bool, now: datetime) -> None:
    """The call that held the lead ``running`` is over: count it and let the schedule go on
    (the ``CASE``s read the lead as it was, so a lead that ended meanwhile stays ended)."""
    sql.run(
        "UPDATE leads SET calls_connected = calls_connected + :connected, "
        "status = CASE WHEN status = :running THEN :scheduled ELSE status END, "
        "next_action_at = CASE WHEN status = :running THEN :now ELSE next_action_at END, "
        "updated_at = :now WHERE id = :lead_id",
        connected=1 if answered else 0,
        running=LeadStatus.RUNNING,
        scheduled=LeadStatus.SCHEDULED,
        now=now,
        lead_id=call["lead_id"],
    )
    sql.run(
        "INSERT INTO lead_events (company_id, lead_id, kind, data, created_at) "
        "VALUES (:company_id, :lead_id, 'call_ended', :data, :now)",
        company_id=call["company_id"],
        lead_id=call["lead_id"],
        data={"call_id": call["id"], "status": call["status"], "duration": call["duration"]},
        now=now,
    )


def call_payload(row: Row) -> dict[str, Any]:
    """The call as webhooks show it: its own columns, tokens included, nothing joined."""
    return {
        key: value for key, value in row.items() if not key.startswith("lead_") or key == "lead_id"
    }


def _call_webhook(sql: Sql, call: Row, event: str, now: datetime) -> None:
    enqueue_event(
        sql,
        company_id=call["company_id"],
        event=event,
        data=lambda: call_payload(call),
        trigger={
            "schedule_id": call["schedule_id"],
            "offer_id": call.get("lead_offer_id"),
            "traffic_source_id": call.get("lead_traffic_source_id"),
        },
        now=now,
    )


def record_message_status(
    sql: Sql,
    *,
    message_id: int,
    status: str,
    now: datetime,
    provider_id: str | None = None,
    error: str | None = None,
) -> bool:
    """Move the message to ``status`` (``sent_at`` once it is sent); False when nothing
    changed, by the same rules as :func:`record_call_status`."""
    rank = MESSAGE_RANKS.get(status)
    if rank is None:
        return False
    values: dict[str, Any] = {"status": status, "updated_at": now}
    if provider_id:
        values["provider_id"] = provider_id
    if error:
        values["error"] = error
    columns = ", ".join(f"{name} = :{name}" for name in values)
    if status in _SENT:
        columns += ", sent_at = COALESCE(sent_at, :now)"
        values["now"] = now
    statement = _forward_update("messages", MESSAGE_RANKS, status, columns)
    return sql.run(statement, id=message_id, **values) > 0
