"""The batch's rows written one statement per table, not one statement per action.

A statement costs ~20 µs of Python and binding whatever it writes; a batch of 500 leads used
to run seven of them per action. Here the calls, texts, e-mails, their first events and the
leads' new cursors go out as one ``INSERT ... SELECT`` or ``UPDATE ... FROM`` per table, in the
same transaction as before, so nothing about what is committed before sending changes.

The rows travel as a single JSON array parameter, unpacked by the database (``json_each`` on
SQLite, ``json_to_recordset`` on PostgreSQL): a multi-row ``VALUES`` with thousands of named
parameters costs SQLite time quadratic in their number to bind. Ids come back by ``uuid``
(``RETURNING``), not by position.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson

from leadflow.db.statements import Row, Sql

_MESSAGE = {
    "uuid": "varchar",
    "company_id": "bigint",
    "lead_id": "bigint",
    "schedule_id": "bigint",
    "channel": "varchar",
    "to_address": "varchar",
    "from_address": "varchar",
    "subject": "varchar",
    "body": "text",
    "status": "varchar",
    "action_index": "integer",
    "error": "text",
}
_CALL = {
    "uuid": "varchar",
    "company_id": "bigint",
    "lead_id": "bigint",
    "schedule_id": "bigint",
    "to_number": "varchar",
    "from_number": "varchar",
    "tokens": "jsonb",
    "action_index": "integer",
    "is_callback": "boolean",
    "connect_to": "varchar",
    "offer_id": "bigint",
    "traffic_source_id": "bigint",
}
_EVENT = {"company_id": "bigint", "lead_id": "bigint", "kind": "varchar", "data": "jsonb"}
_CALL_EVENT = {"company_id": "bigint", "call_id": "bigint", "data": "jsonb"}
_LEAD = {
    "id": "bigint",
    "status": "varchar",
    "action_index": "integer",
    "next_action_at": "timestamptz",
    "contact_attempts": "integer",
    "calls_placed": "integer",
    "schedule_callback_at": "timestamptz",
    "ended_at": "timestamptz",
    "schedule_id": "bigint",
    "sms_number_id": "bigint",
}


def relation(sql: Sql, columns: Mapping[str, str]) -> str:
    """The ``:rows`` JSON array as a relation ``r`` with ``columns`` (name: PostgreSQL type)."""
    if sql.dialect == "postgresql":
        typed = ", ".join(f"{name} {kind}" for name, kind in columns.items())
        return f"json_to_recordset(CAST(:rows AS json)) AS r({typed})"
    picked = ", ".join(f"value ->> '{name}' AS {name}" for name in columns)
    return f"(SELECT {picked} FROM json_each(:rows)) AS r"


def as_json(sql: Sql, rows: Sequence[Row], columns: Mapping[str, str]) -> str:
    """The rows as JSON, times in the form each engine stores (see ``db.statements``)."""
    sqlite = sql.dialect == "sqlite"

    def moment(value: Any) -> Any:
        if isinstance(value, datetime):
            utc = value.astimezone(UTC)
            return utc.replace(tzinfo=None).isoformat(" ", "microseconds") if sqlite else utc
        raise TypeError(type(value))

    picked = [{name: row[name] for name in columns} for row in rows]
    option = orjson.OPT_PASSTHROUGH_DATETIME if sqlite else 0
    return orjson.dumps(picked, default=moment, option=option).decode()


def select(columns: Mapping[str, str]) -> str:
    return ", ".join(f"r.{name}" for name in columns)


def insert_messages(sql: Sql, rows: Sequence[Row], now: datetime) -> dict[str, int]:
    """Outbound texts and e-mails, in order; their ids by uuid."""
    found = sql.all(
        f"INSERT INTO messages ({', '.join(_MESSAGE)}, direction, created_at, updated_at)"
        f" SELECT {select(_MESSAGE)}, 'outbound', :now, :now FROM {relation(sql, _MESSAGE)}"
        " RETURNING id, uuid",
        rows=as_json(sql, rows, _MESSAGE),
        now=now,
    )
    return {str(row["uuid"]): int(row["id"]) for row in found}


def insert_calls(sql: Sql, rows: Sequence[Row], now: datetime) -> dict[str, int]:
    """Outbound calls, queued, each with its first ``queued`` event; their ids by uuid. The
    lead's offer and traffic source are copied so call stats group by them without a join."""
    found = sql.all(
        f"INSERT INTO calls ({', '.join(_CALL)}, direction, status, created_at, updated_at)"
        f" SELECT {select(_CALL)}, 'outbound', 'queued', :now, :now FROM {relation(sql, _CALL)}"
        " RETURNING id, uuid",
        rows=as_json(sql, rows, _CALL),
        now=now,
    )
    ids = {str(row["uuid"]): int(row["id"]) for row in found}
    queued = [
        {"company_id": row["company_id"], "call_id": ids[row["uuid"]], "data": {"status": "queued"}}
        for row in rows
    ]
    add_call_events(sql, queued, "queued", now)
    return ids


def add_lead_events(sql: Sql, rows: Sequence[Row], now: datetime) -> None:
    """Timeline entries, in the order given (the timeline is read in id order)."""
    if rows:
        sql.run(
            "INSERT INTO lead_events (company_id, lead_id, kind, data, created_at)"
            f" SELECT {select(_EVENT)}, :now FROM {relation(sql, _EVENT)}",
            rows=as_json(sql, rows, _EVENT),
            now=now,
        )


def add_call_events(sql: Sql, rows: Sequence[Row], kind: str, now: datetime) -> None:
    """Entries of the calls' status histories, all of one ``kind``."""
    if rows:
        sql.run(
            "INSERT INTO call_events (company_id, call_id, data, kind, created_at)"
            f" SELECT {select(_CALL_EVENT)}, :kind, :now FROM {relation(sql, _CALL_EVENT)}",
            rows=as_json(sql, rows, _CALL_EVENT),
            kind=kind,
            now=now,
        )


def save_leads(sql: Sql, leads: Sequence[Row], now: datetime, *, with_tokens: bool) -> None:
    """Write the cadence's fields of these leads back; ``tokens`` only ``with_tokens`` (an
    update that names it re-indexes the lead for search)."""
    columns = {**_LEAD, "tokens": "jsonb"} if with_tokens else _LEAD
    assignments = ", ".join(f"{name} = r.{name}" for name in columns if name != "id")
    sql.run(
        f"UPDATE leads SET {assignments}, updated_at = :now FROM {relation(sql, columns)}"
        " WHERE leads.id = r.id",
        rows=as_json(sql, leads, columns),
        now=now,
    )
