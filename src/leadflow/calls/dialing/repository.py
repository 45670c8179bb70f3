"""make_call's queries, plain SQL over :class:`~leadflow.db.statements.Sql`.

They run inside one group-commit unit (``db.group_commit``), so the reads that feed the guards,
the shared locks and the rows written all belong to one transaction: a refusal rolls every one
of them back. Every query is scoped to the calling company.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from leadflow.db.statements import Row, Sql
from leadflow.db.time_locks import forget_locks, forget_slots
from leadflow.leads import repository as leads
from leadflow.models import Call, CallStatus, LeadStatus

# Ids are BIGINT: a larger number names no row, and must not reach the driver.
MAX_ROW_ID = 2**63 - 1
_LIVE = ", ".join(f"'{status}'" for status in sorted(LeadStatus.LIVE))
_FINAL = ", ".join(f"'{status}'" for status in sorted(CallStatus.FINAL))
LEAD_COLUMNS = (
    "id, uuid, company_id, offer_id, schedule_id, traffic_source_id, sub_id, caller_id, status,"
    " tokens, trackdrive_number_id, created_at"
)
SCHEDULE_COLUMNS = "id, offer_id, schedule_type, paused, time_zone, calling_hours, dnc_settings"


def dialing_lock_key(company_id: int) -> int:
    """A stable 63-bit key for the company's make_call advisory lock (and batch order)."""
    digest = hashlib.blake2b(f"dial:{company_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1


def lock_company_dialing(sql: Sql, company_id: int) -> None:
    """Serialise the company's make_calls across PostgreSQL processes for this transaction.

    Each unit then takes the CPS row and the number's lock under one lock that every batch
    takes in key order, so two batches can never hold one each and wait for the other. SQLite
    has one writer, which serialises them already."""
    if sql.dialect == "postgresql":
        sql.one("SELECT pg_advisory_xact_lock(:key)", key=dialing_lock_key(company_id))


def _ref(ref: str) -> tuple[str, int | str] | None:
    """``("id", 12)`` or ``("uuid", "...")``; None for a number too large to be an id."""
    if ref.isascii() and ref.isdigit():
        return ("id", int(ref)) if 0 < int(ref) <= MAX_ROW_ID else None
    return "uuid", ref


def company(sql: Sql, company_id: int) -> Row:
    row = sql.one(
        "SELECT calls_per_second, default_region, time_zone FROM companies WHERE id = :id",
        id=company_id,
    )
    assert row is not None, "an authenticated company exists"
    return row


def lead_by_ref(sql: Sql, company_id: int, ref: str) -> Row | None:
    """The company's lead by id or uuid."""
    found = _ref(ref)
    if found is None:
        return None
    column, value = found
    return sql.one(
        f"SELECT {LEAD_COLUMNS} FROM leads WHERE company_id = :company AND {column} = :value",
        company=company_id,
        value=value,
    )


def schedule_by_ref(sql: Sql, company_id: int, ref: str) -> Row | None:
    """The company's schedule by id or uuid."""
    found = _ref(ref)
    if found is None:
        return None
    column, value = found
    return sql.one(
        f"SELECT {SCHEDULE_COLUMNS} FROM schedules WHERE company_id = :company"
        f" AND {column} = :value",
        company=company_id,
        value=value,
    )


def schedule_by_token(sql: Sql, company_id: int, lead_token: str) -> Row | None:
    return sql.one(
        f"SELECT {SCHEDULE_COLUMNS} FROM schedules WHERE company_id = :company"
        " AND leads_api_key = :token",
        company=company_id,
        token=lead_token,
    )


def schedule_by_id(sql: Sql, company_id: int, schedule_id: int) -> Row | None:
    return schedule_by_ref(sql, company_id, str(schedule_id))


def offer_destination(sql: Sql, offer_id: int) -> str | None:
    row = sql.one("SELECT destination_number FROM offers WHERE id = :id", id=offer_id)
    return None if row is None else row["destination_number"]


def live_lead_in_schedule(sql: Sql, company_id: int, schedule_id: int, number: str) -> Row | None:
    """The newest live lead of ``number`` enrolled in the schedule (the "promote" case)."""
    return sql.one(
        f"SELECT {LEAD_COLUMNS} FROM leads WHERE company_id = :company"
        f" AND schedule_id = :schedule AND caller_id = :number AND status IN ({_LIVE})"
        " ORDER BY id DESC LIMIT 1",
        company=company_id,
        schedule=schedule_id,
        number=number,
    )


def last_call_to(sql: Sql, company_id: int, number: str, since: datetime) -> datetime | None:
    """The newest outbound call to ``number`` created after ``since`` (ix_calls_company_to):
    the cadence dials without the redial lock, so its calls count as recent through here."""
    row = sql.one(
        "SELECT created_at FROM calls WHERE company_id = :company AND to_number = :number"
        " AND created_at > :since AND direction = 'outbound' ORDER BY created_at DESC LIMIT 1",
        company=company_id,
        number=number,
        since=since,
    )
    return None if row is None else row["created_at"]


def number_on_live_call(sql: Sql, company_id: int, number: str) -> bool:
    """A running live lead of ``number`` has a call that has not ended: ``duplicate_lead``."""
    row = sql.one(
        "SELECT c.id FROM calls c JOIN leads l ON l.id = c.lead_id"
        " WHERE c.company_id = :company AND c.to_number = :number"
        f" AND c.status NOT IN ({_FINAL}) AND l.caller_id = :number AND l.status = :running"
        " LIMIT 1",
        company=company_id,
        number=number,
        running=LeadStatus.RUNNING,
    )
    return row is not None


def voice_number(sql: Sql, company_id: int, assigned_id: int | None, lead_id: int) -> str | None:
    """The lead's own number if it has one, else one of the company's voice numbers (chosen
    by lead, as the cadence does, so a lead sees the same caller ID), else None."""
    if assigned_id is not None:
        row = sql.one("SELECT number FROM numbers WHERE id = :id", id=assigned_id)
        if row is not None:
            return str(row["number"])
    rows = sql.all(
        "SELECT number, capabilities FROM numbers WHERE company_id = :company ORDER BY id",
        company=company_id,
    )
    pool = [row for row in rows if "voice" in (row["capabilities"] or [])]
    return str(pool[lead_id % len(pool)]["number"]) if pool else None


def insert_call(sql: Sql, values: dict[str, Any]) -> int:
    """The call, ``queued``, with its first status event, as the cadence writes its own."""
    row = sql.one(
        "INSERT INTO calls (uuid, company_id, lead_id, schedule_id, offer_id, traffic_source_id,"
        " direction, to_number, from_number, status, tokens, is_callback, connect_to,"
        " revenue_cents, payout_cents, buyer_converted, offer_converted, post_call_tokens,"
        " created_at, updated_at) VALUES (:uuid, :company_id, :lead_id, :schedule_id,"
        " :offer_id, :traffic_source_id, 'outbound', :to_number, :from_number, 'queued',"
        " :tokens, :no, :connect_to, 0, 0, :no, :no, :empty, :now, :now) RETURNING id",
        no=False,
        empty={},
        **values,
    )
    assert row is not None
    call_id = int(row["id"])
    sql.run(
        "INSERT INTO call_events (company_id, call_id, kind, data, created_at)"
        " VALUES (:company_id, :call_id, 'queued', :data, :now)",
        company_id=values["company_id"],
        call_id=call_id,
        data={"status": "queued", "via": "make_call"},
        now=values["now"],
    )
    return call_id


def count_call_on_lead(
    sql: Sql, lead: Row, call_id: int, tokens: dict[str, Any] | None, now: datetime
) -> None:
    """The lead counts the attempt and shows the call on its timeline; its status and next
    action are left alone, so a lead in a cadence keeps its place in it."""
    merge = ", tokens = :tokens" if tokens is not None else ""
    params: dict[str, Any] = {"tokens": tokens} if tokens is not None else {}
    sql.run(
        "UPDATE leads SET calls_placed = calls_placed + 1,"
        f" contact_attempts = contact_attempts + 1, updated_at = :now{merge} WHERE id = :id",
        id=lead["id"],
        now=now,
        **params,
    )
    leads.add_event(
        sql,
        lead["company_id"],
        lead["id"],
        "call_placed",
        {"call_id": call_id, "via": "make_call"},
        now,
    )


_CALL_COLUMNS = (
    "id, uuid, company_id, lead_id, schedule_id, offer_id, traffic_source_id, direction,"
    " to_number, from_number, status, provider_id, tokens, action_index, is_callback,"
    " connect_to, answered_at, ended_at, duration, error, revenue_cents, payout_cents,"
    " buyer_converted, offer_converted, post_call_tokens, created_at, updated_at"
)


def call_by_id(sql: Sql, call_id: int) -> Call:
    """The call as the ORM model the serializer reads (not attached to any session)."""
    row = sql.one(f"SELECT {_CALL_COLUMNS} FROM calls WHERE id = :id", id=call_id)
    assert row is not None
    return Call(**row)


def prune_dialing_locks(sql: Sql, *, locks_before: datetime, slots_before: int) -> int:
    """Forget make_call's own redial locks and CPS windows once they are free; other scopes
    (duplicate windows, cap counters) keep theirs."""
    removed = forget_locks(sql, "dial:", locks_before)
    return removed + forget_slots(sql, "cps:", slots_before)
