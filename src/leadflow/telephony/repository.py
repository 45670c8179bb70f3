"""Plain-SQL queries behind the provider callbacks: they share the outbox's and the status
recorder's :class:`~leadflow.db.statements.Sql`, so one transaction holds a callback's every
write and its webhooks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from leadflow.db.statements import Row, Sql
from leadflow.models import LeadStatus
from leadflow.models.message import SMS

_LIVE = ", ".join(f"'{status}'" for status in sorted(LeadStatus.LIVE))


def call_id_by_uuid(sql: Sql, call_uuid: str) -> int | None:
    row = sql.one("SELECT id FROM calls WHERE uuid = :uuid", uuid=call_uuid)
    return int(row["id"]) if row else None


def message_id_by_uuid(sql: Sql, message_uuid: str) -> int | None:
    row = sql.one("SELECT id FROM messages WHERE uuid = :uuid", uuid=message_uuid)
    return int(row["id"]) if row else None


def owner_of_number(sql: Sql, number: str) -> int | None:
    """The company whose number received the text (the first to add it, should two have)."""
    row = sql.one(
        "SELECT company_id FROM numbers WHERE number = :number ORDER BY id LIMIT 1", number=number
    )
    return int(row["company_id"]) if row else None


def live_leads_of_number(sql: Sql, company_id: int, number: str) -> list[Row]:
    """Every live lead of the number in the company, in every schedule, oldest first."""
    return sql.all(
        f"SELECT * FROM leads WHERE company_id = :company_id AND caller_id = :number "
        f"AND status IN ({_LIVE}) ORDER BY id",
        company_id=company_id,
        number=number,
    )


def add_inbound_sms(
    sql: Sql,
    *,
    uuid: str,
    company_id: int,
    lead_id: int | None,
    schedule_id: int | None,
    to: str,
    from_: str,
    body: str,
    provider_id: str | None,
    now: datetime,
) -> Row:
    values: dict[str, Any] = {
        "uuid": uuid,
        "company_id": company_id,
        "lead_id": lead_id,
        "schedule_id": schedule_id,
        "channel": SMS,
        "direction": "inbound",
        "to_address": to,
        "from_address": from_,
        "body": body,
        "status": "received",
        "provider_id": provider_id,
        "sent_at": now,
        "created_at": now,
        "updated_at": now,
    }
    columns = list(values)
    found = sql.one(
        f"INSERT INTO messages ({', '.join(columns)}) "
        f"VALUES ({', '.join(':' + name for name in columns)}) RETURNING id",
        **values,
    )
    assert found is not None
    return {**values, "id": found["id"]}


def add_lead_event(
    sql: Sql, company_id: int, lead_id: int, kind: str, data: dict[str, Any], now: datetime
) -> None:
    sql.run(
        "INSERT INTO lead_events (company_id, lead_id, kind, data, created_at) "
        "VALUES (:company_id, :lead_id, :kind, :data, :now)",
        company_id=company_id,
        lead_id=lead_id,
        kind=kind,
        data=data,
        now=now,
    )


def end_lead(sql: Sql, lead_id: int, status: str, now: datetime) -> bool:
    """End a lead that is still live; False if it ended meanwhile."""
    changed = sql.run(
        f"UPDATE leads SET status = :status, next_action_at = NULL, ended_at = :now, "
        f"updated_at = :now WHERE id = :id AND status IN ({_LIVE})",
        status=status,
        now=now,
        id=lead_id,
    )
    return changed > 0


def cancel_callbacks(sql: Sql, lead_ids: Sequence[int], now: datetime) -> None:
    """A callback promised to a lead that ended is never placed."""
    for lead_id in lead_ids:
        sql.run(
            "UPDATE scheduled_callbacks SET status = 'canceled', updated_at = :now "
            "WHERE lead_id = :lead_id AND status = 'scheduled'",
            lead_id=lead_id,
            now=now,
        )
