"""The providers' first answers for a whole batch, written a statement per kind of change.

The simulated channels (and a provider that fails a send at once) answer with a final status:
the call ended, the text was delivered. Recorded one by one through
:mod:`leadflow.calls.status` that costs six statements per call (read it, move it, its event,
the lead's counters, the lead's event, the webhook lookup); here the same changes are made for
the batch at once, with the same rules: a status only moves forward (the stored status must be
an earlier one, in the ``WHERE``), a call that ends lets its ``running`` lead go on and counts a
connection, and ``call_ended`` is queued for every subscriber. Answers that are not final, or
that leave "answered" to be worked out from the row, take the one-by-one path.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from leadflow.cadence import bulk, repository
from leadflow.calls.status import (
    CALL_RANKS,
    MESSAGE_RANKS,
    call_payload,
    record_call_status,
)
from leadflow.db.statements import Row, Sql
from leadflow.models import CallStatus, LeadStatus, MessageStatus
from leadflow.webhooks.outbox import enqueue_event

_SENT = frozenset({MessageStatus.SENT, MessageStatus.DELIVERED, "read"})
_FINAL_RANK = max(CALL_RANKS.values())
_ANSWER = {
    "id": "bigint",
    "provider_id": "varchar",
    "error": "text",
    "duration": "integer",
    "answered": "boolean",
}
_CONTINUE = {"id": "bigint", "connected": "integer"}


def _earlier(ranks: dict[str, int], status: str) -> str:
    """``'queued', 'ringing'``: the stored statuses that ``status`` may replace."""
    return ", ".join(f"'{name}'" for name, rank in sorted(ranks.items()) if rank < ranks[status])


def _unindexed(sql: Sql, column: str) -> str:
    """SQLite's way to keep a column's index out of a plan: through the status index it would
    walk every queued row and join each to the batch's rows, instead of looking up the batch's
    few ids by primary key."""
    return f"+{column}" if sql.dialect == "sqlite" else column


def record_messages(sql: Sql, answers: Sequence[Row], now: datetime) -> None:
    """``answers``: ``id``, ``status``, ``provider_id``, ``error`` of each text or e-mail."""
    for status, rows in _by_status(answers).items():
        if status not in MESSAGE_RANKS:
            continue
        sent_at = ", sent_at = COALESCE(messages.sent_at, :now)" if status in _SENT else ""
        moved = sql.all(
            "UPDATE messages SET status = :status, updated_at = :now,"
            " provider_id = COALESCE(r.provider_id, messages.provider_id),"
            f" error = COALESCE(r.error, messages.error){sent_at}"
            f" FROM {bulk.relation(sql, _ANSWER)} WHERE messages.id = r.id"
            f" AND {_unindexed(sql, 'messages.status')} IN ({_earlier(MESSAGE_RANKS, status)})"
            " RETURNING messages.id",
            rows=bulk.as_json(sql, rows, _ANSWER),
            status=status,
            now=now,
        )
        # The provider took it even when a callback got further first: keep its id.
        kept = {row["id"] for row in moved}
        named = [row for row in rows if row["provider_id"] and row["id"] not in kept]
        if named and status not in MessageStatus.FINAL:
            sql.run(
                "UPDATE messages SET provider_id = r.provider_id"
                f" FROM {bulk.relation(sql, _ANSWER)}"
                " WHERE messages.id = r.id AND messages.provider_id IS NULL",
                rows=bulk.as_json(sql, named, _ANSWER),
            )


def record_calls(sql: Sql, answers: Sequence[Row], now: datetime) -> None:
    """``answers``: ``id``, ``status``, ``provider_id``, ``error``, ``duration``, ``answered``."""
    at_once = []
    for row in answers:
        if CALL_RANKS.get(row["status"]) == _FINAL_RANK and row["answered"] is not None:
            at_once.append(row)
            continue
        if row["provider_id"] and row["status"] not in CallStatus.FINAL:
            repository.set_provider_id(sql, "calls", row["id"], row["provider_id"])
        record_call_status(
            sql,
            call_id=row["id"],
            status=row["status"],
            now=now,
            provider_id=row["provider_id"],
            duration=row["duration"],
            answered=row["answered"],
            error=row["error"],
        )
    for status, rows in _by_status(at_once).items():
        _end_calls(sql, status, rows, now)


def _end_calls(sql: Sql, status: str, answers: list[Row], now: datetime) -> None:
    ended = sql.all(
        "UPDATE calls SET status = :status, updated_at = :now, ended_at = :now,"
        " provider_id = COALESCE(r.provider_id, calls.provider_id),"
        " error = COALESCE(r.error, calls.error),"
        " duration = COALESCE(r.duration, calls.duration),"
        " answered_at = CASE WHEN r.answered THEN COALESCE(calls.answered_at, :now)"
        " ELSE calls.answered_at END"
        f" FROM {bulk.relation(sql, _ANSWER)} WHERE calls.id = r.id"
        f" AND {_unindexed(sql, 'calls.status')} IN ({_earlier(CALL_RANKS, status)})"
        " RETURNING calls.id, calls.company_id, calls.lead_id, calls.duration",
        rows=bulk.as_json(sql, answers, _ANSWER),
        status=status,
        now=now,
    )
    if not ended:
        return
    by_id = {row["id"]: row for row in answers}
    answered = {call_id: bool(row["answered"]) for call_id, row in by_id.items()}
    events = []
    for call in ended:
        answer = by_id[call["id"]]
        data: dict[str, Any] = {
            "status": status,
            "duration": call["duration"],
            "provider_id": answer["provider_id"],
            "answered": answered[call["id"]],
        }
        if answer["error"]:
            data["error"] = answer["error"]
        events.append({"company_id": call["company_id"], "call_id": call["id"], "data": data})
    bulk.add_call_events(sql, events, "status", now)
    _continue_leads(sql, status, ended, answered, now)
    _queue_call_ended(sql, ended, now)


def _continue_leads(
    sql: Sql, status: str, ended: list[Row], answered: dict[int, bool], now: datetime
) -> None:
    """Each ended call's lead goes on with its schedule if the call held it ``running``
    (the ``CASE``s read the lead as it was, so a lead that ended meanwhile stays ended)."""
    connected: dict[int, int] = defaultdict(int)
    events = []
    for call in ended:
        if call["lead_id"] is None:
            continue
        connected[call["lead_id"]] += 1 if answered[call["id"]] else 0
        data = {"call_id": call["id"], "status": status, "duration": call["duration"]}
        events.append(
            {
                "company_id": call["company_id"],
                "lead_id": call["lead_id"],
                "kind": "call_ended",
                "data": data,
            }
        )
    if not connected:
        return
    sql.run(
        "UPDATE leads SET calls_connected = leads.calls_connected + r.connected,"
        " status = CASE WHEN leads.status = :running THEN :scheduled ELSE leads.status END,"
        " next_action_at = CASE WHEN leads.status = :running THEN :now"
        " ELSE leads.next_action_at END, updated_at = :now"
        f" FROM {bulk.relation(sql, _CONTINUE)} WHERE leads.id = r.id",
        rows=bulk.as_json(
            sql, [{"id": k, "connected": v} for k, v in connected.items()], _CONTINUE
        ),
        running=LeadStatus.RUNNING,
        scheduled=LeadStatus.SCHEDULED,
        now=now,
    )
    bulk.add_lead_events(sql, events, now)


def _queue_call_ended(sql: Sql, ended: list[Row], now: datetime) -> None:
    """``call_ended`` for each call whose company subscribes to it (asked once per company;
    the call is read whole only then)."""
    subscribed: dict[int, bool] = {}
    wanted = []
    for call in ended:
        company_id = call["company_id"]
        if company_id not in subscribed:
            subscribed[company_id] = "call_ended" in repository.subscribed_events(sql, company_id)
        if subscribed[company_id]:
            wanted.append(call["id"])
    for call in repository.calls_with_lead(sql, wanted):
        enqueue_event(
            sql,
            company_id=call["company_id"],
            event="call_ended",
            data=call_payload(call),
            trigger={
                "schedule_id": call["schedule_id"],
                "offer_id": call["lead_offer_id"],
                "traffic_source_id": call["lead_traffic_source_id"],
            },
            now=now,
        )


def _by_status(rows: Sequence[Row]) -> dict[str, list[Row]]:
    grouped: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        grouped[row["status"]].append({name: row.get(name) for name in _ANSWER})
    return grouped
