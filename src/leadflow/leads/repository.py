"""Lead queries.

The intake path runs inside a group-commit batch (``db.group_commit``) on a bare connection, so
its queries are plain SQL over :class:`~leadflow.db.statements.Sql`: a few microseconds each,
no statement building per call. Only the token look-up, cached per process, uses the engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from leadflow.db.statements import Row, Sql
from leadflow.models import Company, LeadStatus, Offer, Schedule

# Ids are BIGINT: a larger number names no row, and must not reach the driver.
MAX_ROW_ID = 2**63 - 1
_LIVE = ", ".join(f"'{status}'" for status in sorted(LeadStatus.LIVE))


async def owner_row(conn: AsyncConnection, lead_token: str) -> RowMapping | None:
    """The schedule, else the offer, whose ``leads_api_key`` is ``lead_token``."""
    schedule_columns = select(
        Schedule.company_id,
        Schedule.offer_id,
        Schedule.id.label("schedule_id"),
        Schedule.schedule_type,
        Schedule.paused,
        Schedule.lead_duplicate_timeframe,
        Schedule.dnc_settings,
    )
    found = (
        (await conn.execute(schedule_columns.where(Schedule.leads_api_key == lead_token)))
        .mappings()
        .first()
    )
    if found is not None:
        return found
    offer_columns = select(Offer.company_id, Offer.id.label("offer_id"))
    return (
        (await conn.execute(offer_columns.where(Offer.leads_api_key == lead_token)))
        .mappings()
        .first()
    )


async def schedule_dnc_settings(conn: AsyncConnection, schedule_id: int) -> dict[str, Any] | None:
    """A schedule's do-not-call settings (a router's target's, read once per cache period)."""
    found = await conn.scalar(select(Schedule.dnc_settings).where(Schedule.id == schedule_id))
    return found if isinstance(found, dict) else None


async def company_region(conn: AsyncConnection, company_id: int) -> str:
    region = await conn.scalar(select(Company.default_region).where(Company.id == company_id))
    return region or "US"


def traffic_source_id(sql: Sql, company_id: int, ref: str) -> int | None:
    """By our id, or by the publisher's own ``user_traffic_source_id``."""
    if ref.isascii() and ref.isdigit() and int(ref) <= MAX_ROW_ID:
        found = sql.one(
            "SELECT id FROM traffic_sources WHERE company_id = :company AND id = :id",
            company=company_id,
            id=int(ref),
        )
        if found is not None:
            return int(found["id"])
    found = sql.one(
        "SELECT id FROM traffic_sources WHERE company_id = :company"
        " AND user_traffic_source_id = :ref ORDER BY id LIMIT 1",
        company=company_id,
        ref=ref,
    )
    return int(found["id"]) if found is not None else None


def leads_in_scope(
    sql: Sql,
    company_id: int,
    offer_id: int,
    schedule_id: int | None,
    caller_id: str,
    *,
    live_only: bool = True,
    created_since: datetime | None = None,
) -> list[Row]:
    """The owner's (schedule's, else offer's own) leads for this caller, newest first."""
    owner = (
        "schedule_id = :schedule"
        if schedule_id is not None
        else ("offer_id = :offer AND schedule_id IS NULL")
    )
    statement = (
        f"SELECT * FROM leads WHERE company_id = :company AND caller_id = :caller AND {owner}"
        + (f" AND status IN ({_LIVE})" if live_only else "")
        + (" AND created_at >= :since" if created_since is not None else "")
        + " ORDER BY id DESC"
    )
    params: dict[str, Any] = {"company": company_id, "caller": caller_id}
    if schedule_id is not None:
        params["schedule"] = schedule_id
    else:
        params["offer"] = offer_id
    if created_since is not None:
        params["since"] = created_since
    return sql.all(statement, **params)


def leads_of_offer(sql: Sql, company_id: int, offer_id: int, caller_id: str) -> list[Row]:
    return sql.all(
        "SELECT * FROM leads WHERE company_id = :company AND offer_id = :offer"
        " AND caller_id = :caller ORDER BY id DESC",
        company=company_id,
        offer=offer_id,
        caller=caller_id,
    )


def live_leads_of_number(sql: Sql, company_id: int, caller_id: str) -> list[Row]:
    return sql.all(
        f"SELECT * FROM leads WHERE company_id = :company AND caller_id = :caller"
        f" AND status IN ({_LIVE}) ORDER BY id",
        company=company_id,
        caller=caller_id,
    )


def insert_lead(sql: Sql, values: dict[str, Any]) -> int:
    # Unset columns are left to their NULL default: fewer values to encode and bind per lead.
    given = {name: value for name, value in values.items() if value is not None and name != "id"}
    row = sql.one(_insert_lead_statement(tuple(given)), **given)
    assert row is not None
    return int(row["id"])


@lru_cache(maxsize=64)
def _insert_lead_statement(columns: tuple[str, ...]) -> str:
    """Posts set the same few columns over and over: their statement is built once."""
    return (
        f"INSERT INTO leads ({', '.join(columns)}) "
        f"VALUES ({', '.join(':' + name for name in columns)}) RETURNING id"
    )


def new_lead_ids(sql: Sql, count: int) -> list[int]:
    """``count`` ids for leads a batch inserts itself (:func:`insert_leads`), taken the way the
    database would take them. SQLite: above the highest id ever given (the table is
    AUTOINCREMENT, so a deleted lead's id is never given again); the batch holds the single
    write lock, so nobody takes them in between, and the batch inserts them before its unit
    ends. PostgreSQL: from the table's own sequence, so concurrent inserts never collide."""
    if count <= 0:
        return []
    if sql.dialect == "postgresql":
        rows = sql.all(
            "SELECT nextval(pg_get_serial_sequence('leads', 'id')) AS id"
            " FROM generate_series(1, :count)",
            count=count,
        )
        return [int(row["id"]) for row in rows]
    row = sql.one(
        "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'leads'), 0),"
        " coalesce((SELECT max(id) FROM leads), 0)) AS top"
    )
    top = int(row["top"]) if row is not None else 0
    return list(range(top + 1, top + 1 + count))


def insert_leads(sql: Sql, leads: Sequence[dict[str, Any]]) -> None:
    """Leads whose ids :func:`new_lead_ids` gave, one ``executemany`` per set of columns set
    (like :func:`insert_lead`, unset columns keep their default; a file's rows set the same
    few columns, so there are one or two sets)."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for lead in leads:
        given = {name: value for name, value in lead.items() if value is not None}
        groups.setdefault(tuple(given), []).append(given)
    if sql.dialect != "sqlite" or not leads:
        for columns, rows in groups.items():
            sql.many(_insert_leads_statement(columns), rows)
        return
    # On SQLite the batch's per-row insert triggers stand aside while lead_batch_inserts has
    # a row (migration 0019), and the batch does their work once: it counts itself in the
    # company's lead count and leaves its ids for the report counters' fold (migration 0022).
    # Its ids are above every lead's before it (new_lead_ids), so the range holds the batch's
    # leads and no others.
    ids = [lead["id"] for lead in leads]
    first, last = min(ids), max(ids)
    sql.run("INSERT INTO lead_batch_inserts (first_id) VALUES (:first)", first=first)
    try:
        for columns, rows in groups.items():
            sql.many(_insert_leads_statement(columns), rows)
    finally:
        # Also after a failed insert: the rows that went in are counted, as their triggers
        # would have counted them, whatever the caller then does with the transaction.
        for statement in BATCH_COUNT_STATEMENTS:
            sql.run(statement, first=first, last=last)
        sql.run("DELETE FROM lead_batch_inserts")


BATCH_COUNT_STATEMENTS = (
    "INSERT INTO report_pending_leads (lead_id, company_id) SELECT id, company_id FROM leads"
    " WHERE id BETWEEN :first AND :last",
    "INSERT INTO lead_counts (company_id, count) SELECT company_id, count(*) FROM leads"
    " WHERE id BETWEEN :first AND :last GROUP BY company_id"
    " ON CONFLICT (company_id) DO UPDATE SET count = lead_counts.count + excluded.count",
)


@lru_cache(maxsize=64)
def _insert_leads_statement(columns: tuple[str, ...]) -> str:
    return (
        f"INSERT INTO leads ({', '.join(columns)}) "
        f"VALUES ({', '.join(':' + name for name in columns)})"
    )


def leads_of_callers(
    sql: Sql,
    company_id: int,
    offer_id: int,
    schedule_id: int | None,
    caller_ids: Sequence[str],
    *,
    created_since: datetime | None = None,
) -> list[Row]:
    """:func:`leads_in_scope` (live only) for many callers in one query, newest first: the
    candidates a batch looks its duplicates up in."""
    if not caller_ids:
        return []
    names = [f"c{index}" for index in range(len(caller_ids))]
    owner = (
        "schedule_id = :schedule"
        if schedule_id is not None
        else ("offer_id = :offer AND schedule_id IS NULL")
    )
    statement = (
        f"SELECT * FROM leads WHERE company_id = :company"
        f" AND caller_id IN ({', '.join(':' + name for name in names)}) AND {owner}"
        f" AND status IN ({_LIVE})"
        + (" AND created_at >= :since" if created_since is not None else "")
        + " ORDER BY id DESC"
    )
    params: dict[str, Any] = dict(zip(names, caller_ids, strict=True))
    params["company"] = company_id
    if schedule_id is not None:
        params["schedule"] = schedule_id
    else:
        params["offer"] = offer_id
    if created_since is not None:
        params["since"] = created_since
    return sql.all(statement, **params)


def update_lead(sql: Sql, lead_id: int, values: dict[str, Any]) -> None:
    assignments = ", ".join(f"{name} = :{name}" for name in values)
    sql.run(f"UPDATE leads SET {assignments} WHERE id = :lead_id", lead_id=lead_id, **values)


def delete_leads(sql: Sql, lead_ids: Sequence[int]) -> None:
    for lead_id in lead_ids:
        sql.run("DELETE FROM leads WHERE id = :id", id=lead_id)


def add_events(sql: Sql, rows: list[dict[str, Any]]) -> None:
    for row in rows:
        sql.run(_INSERT_EVENT, **row)


def insert_events(sql: Sql, rows: list[dict[str, Any]]) -> None:
    """:func:`add_events` as one ``executemany``: a batch's timeline at once. (Kept apart:
    ``add_events`` also runs on the cadence's read-only snapshot, which refuses writes by
    ``run``.)"""
    sql.many(_INSERT_EVENT, rows)


_INSERT_EVENT = (
    "INSERT INTO lead_events (company_id, lead_id, kind, data, created_at)"
    " VALUES (:company_id, :lead_id, :kind, :data, :created_at)"
)


def timeline_event(
    lead: Row | dict[str, Any], kind: str, data: dict[str, Any], now: datetime
) -> dict[str, Any]:
    """The row of one entry on ``lead``'s timeline, for :func:`add_events`."""
    return {
        "company_id": lead["company_id"],
        "lead_id": lead["id"],
        "kind": kind,
        "data": data,
        "created_at": now,
    }


def add_event(
    sql: Sql, company_id: int, lead_id: int, kind: str, data: dict[str, Any], now: datetime
) -> None:
    """One entry on a lead's timeline."""
    add_events(sql, [timeline_event({"company_id": company_id, "id": lead_id}, kind, data, now)])


def merge_call_tokens(sql: Sql, lead_ids: Sequence[int], tokens: dict[str, Any]) -> int:
    """Give the lead's calls the tokens just received (``apply_to=calls``)."""
    merged = 0
    for lead_id in lead_ids:
        for call in sql.all("SELECT id, tokens FROM calls WHERE lead_id = :lead", lead=lead_id):
            sql.run(
                "UPDATE calls SET tokens = :tokens WHERE id = :id",
                tokens={**call["tokens"], **tokens},
                id=call["id"],
            )
            merged += 1
    return merged


def pool_number(sql: Sql, company_id: int, capability: str) -> Row | None:
    """The company's number with ``capability`` carrying the fewest leads."""
    column = "trackdrive_number_id" if capability == "voice" else "sms_number_id"
    rows = sql.all(
        "SELECT n.id, n.number, n.capabilities FROM numbers n WHERE n.company_id = :company"
        f" ORDER BY (SELECT count(*) FROM leads l WHERE l.{column} = n.id), n.id",
        company=company_id,
    )
    return next((row for row in rows if capability in row["capabilities"]), None)


def number_plain(sql: Sql, number_id: int | None) -> str | None:
    if number_id is None:
        return None
    row = sql.one("SELECT number FROM numbers WHERE id = :id", id=number_id)
    return str(row["number"]) if row is not None else None


def schedule_action_count(sql: Sql, schedule_id: int | None) -> int:
    if schedule_id is None:
        return 0
    row = sql.one("SELECT actions FROM schedules WHERE id = :id", id=schedule_id)
    return len(row["actions"] or []) if row is not None else 0
