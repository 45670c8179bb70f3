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


def call_uuid(sql: Sql, call_id: int) -> str:
    row = sql.one("SELECT uuid FROM calls WHERE id = :id", id=call_id)
    return str(row["uuid"]) if row else ""


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


def stored_lead_of_caller(sql: Sql, company_id: int, caller_id: str) -> Row | None:
    """The company's most recent lead sent with an offer's token (stored on the offer, in no
    schedule) for this caller ID: the data an inbound call from them picks up."""
    return sql.one(
        "SELECT * FROM leads WHERE company_id = :company_id AND caller_id = :caller_id "
        "AND schedule_id IS NULL AND offer_id IS NOT NULL ORDER BY id DESC LIMIT 1",
        company_id=company_id,
        caller_id=caller_id,
    )


def offer(sql: Sql, company_id: int, offer_id: int) -> Row | None:
    return sql.one(
        "SELECT id, name, destination_number FROM offers "
        "WHERE company_id = :company_id AND id = :id",
        company_id=company_id,
        id=offer_id,
    )


def forwarding_offers(sql: Sql, company_id: int) -> list[Row]:
    """The company's offers with a destination number (at most two: one is all we need to
    know whether there is exactly one)."""
    return sql.all(
        "SELECT id, name, destination_number FROM offers WHERE company_id = :company_id "
        "AND destination_number IS NOT NULL AND destination_number <> '' ORDER BY id LIMIT 2",
        company_id=company_id,
    )


def add_inbound_call(sql: Sql, values: dict[str, Any]) -> Row:
    """Insert the call row ``values`` describes; the row as stored, with its id."""
    columns = list(values)
    found = sql.one(
        f"INSERT INTO calls ({', '.join(columns)}) "
        f"VALUES ({', '.join(':' + name for name in columns)}) RETURNING id",
        **values,
    )
    assert found is not None
    return {**values, "id": found["id"]}


def add_call_event(
    sql: Sql, company_id: int, call_id: int, kind: str, data: dict[str, Any], now: datetime
) -> None:
    sql.run(
        "INSERT INTO call_events (company_id, call_id, kind, data, created_at) "
        "VALUES (:company_id, :call_id, :kind, :data, :now)",
        company_id=company_id,
        call_id=call_id,
        kind=kind,
        data=data,
        now=now,
    )


def inbound_call_id(sql: Sql, company_id: int, to: str, provider_id: str) -> int | None:
    """The inbound call the provider knows as ``provider_id`` (through the company's
    called-number index)."""
    row = sql.one(
        "SELECT id FROM calls WHERE company_id = :company_id AND to_number = :to "
        "AND provider_id = :provider_id ORDER BY id DESC LIMIT 1",
        company_id=company_id,
        to=to,
        provider_id=provider_id,
    )
    return int(row["id"]) if row else None
