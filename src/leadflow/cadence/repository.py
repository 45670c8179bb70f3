"""The cadence's queries, plain SQL over :class:`~leadflow.db.statements.Sql` (hot path)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from operator import itemgetter
from typing import Any, TypeVar

import orjson

from leadflow.db.statements import Row, Sql, SqliteSql, sqlite_time, utc_time

LEAD_COLUMNS = (
    "id, uuid, company_id, offer_id, schedule_id, traffic_source_id, caller_id, email, sub_id,"
    " status, tokens, lead_priority, action_index, next_action_at, contact_attempts,"
    " calls_placed, calls_connected, max_contact_attempts, expires_at, schedule_callback_at,"
    " trackdrive_number_id, sms_number_id, contact_field_type, remote_ip, ended_at, created_at,"
    " updated_at, request_id"
)

_LIVE = "schedule_id IN (SELECT id FROM schedules WHERE NOT paused)"
_HEADS = (
    # The running schedules with a lead due, the one waiting longest first, with their
    # companies: a probe of ix_leads_schedule_due each. A paused schedule's leads, however
    # many are due, are never read.
    "SELECT company_id, id FROM (SELECT s.company_id, s.id, (SELECT min(next_action_at)"
    " FROM leads WHERE schedule_id = s.id AND next_action_at <= :now) AS oldest"
    " FROM schedules s WHERE NOT s.paused) AS heads WHERE oldest IS NOT NULL ORDER BY oldest, id"
)
_TAKE = {
    # One writer on SQLite: the transaction itself is the claim.
    "sqlite": (
        f"SELECT {LEAD_COLUMNS} FROM leads WHERE schedule_id = :schedule"
        f" AND next_action_at <= :now AND {_LIVE}{{skip}} ORDER BY next_action_at LIMIT :limit"
    ),
    # Any number of workers: each locks the rows it takes and skips the ones others hold; a
    # worker that dies releases them with its connection.
    "postgresql": (
        f"SELECT {LEAD_COLUMNS} FROM leads WHERE schedule_id = :schedule"
        f" AND next_action_at <= :now AND {_LIVE}{{skip}} ORDER BY next_action_at LIMIT :limit"
        " FOR UPDATE SKIP LOCKED"
    ),
}
SHARE_PASSES = 4
"""Rounds of sharing out what the queues before left over: each takes what is left."""

T = TypeVar("T")
Take = Callable[[int, int, list[T]], list[T]]
"""``take(queue, count, already_taken)``: up to ``count`` of the queue's leads, oldest due
first, none of ``already_taken``."""


def fair_claim(
    queues: Sequence[int], take: Take[T], limit: int, due: Callable[[T], Any]
) -> list[T]:
    """Up to ``limit`` due leads shared out among ``queues`` (those with a lead due, the one
    waiting longest first): each an equal share of what is left, taken by ``take``; what a
    queue has not got to fill its share goes to those that filled theirs, in the next pass.
    The leads come back oldest due first (``due``), as one queue's would.

    The claim shares among companies, and each company's share among its running schedules
    (:func:`claimed`). Oldest due first across everything would give a company that imported
    a million leads into a calling schedule every claim until its backlog is worked, while
    another company's lead posted a moment later waits: speed to lead is what these users
    buy."""
    taken: dict[int, list[T]] = {queue: [] for queue in queues}
    active = list(queues)
    left = limit
    for _ in range(SHARE_PASSES):
        if left <= 0 or not active:
            break
        share = -(-left // len(active))  # rounded up: the first queues get the odd ones
        full = []
        for queue in active:
            want = min(share, left)
            if want <= 0:
                break
            found = take(queue, want, taken[queue])
            taken[queue].extend(found)
            left -= len(found)
            if len(found) == want:
                full.append(queue)
        active = full
    return sorted((lead for queue in queues for lead in taken[queue]), key=due)


def claimed(
    heads: Sequence[tuple[int, int]], take: Take[T], limit: int, due: Callable[[T], Any]
) -> list[T]:
    """:func:`fair_claim` among the companies of ``heads`` (company, schedule: the running
    schedules with a lead due, the one waiting longest first), and within each company's share
    among its schedules; ``take`` takes from one schedule."""
    schedules: dict[int, list[int]] = {}
    for company, schedule in heads:
        schedules.setdefault(company, []).append(schedule)

    def take_company(company: int, count: int, already: list[T]) -> list[T]:
        def take_schedule(schedule: int, wanted: int, got: list[T]) -> list[T]:
            return take(schedule, wanted, already + got)

        return fair_claim(schedules[company], take_schedule, count, due)

    return fair_claim(list(schedules), take_company, limit, due)


def claim_due_leads(sql: Sql, now: datetime, limit: int, lease_seconds: float) -> list[Row]:
    """The due leads of running schedules, shared fairly among companies (:func:`claimed`),
    held until this transaction ends.

    On PostgreSQL the transaction may stay idle at most ``lease_seconds``: a worker that hangs
    (rather than dies) loses its claim then, and another worker picks the leads up."""
    if sql.dialect == "postgresql":
        sql.run(f"SET LOCAL idle_in_transaction_session_timeout = {int(lease_seconds * 1000)}")
    if isinstance(sql, SqliteSql):
        return decode_leads(due_lead_rows(sql.connection, now, limit))
    heads = [(row["company_id"], row["id"]) for row in sql.all(_HEADS, now=now)]

    def take(schedule: int, count: int, already: list[Row]) -> list[Row]:
        skip, ids = _skipping([lead["id"] for lead in already])
        statement = _TAKE[sql.dialect].format(skip=skip)
        return sql.all(statement, schedule=schedule, now=now, limit=count, **ids)

    return claimed(heads, take, limit, itemgetter("next_action_at", "id"))


_NAMES = tuple(name.strip() for name in LEAD_COLUMNS.split(","))
_TIMES = tuple(i for i, name in enumerate(_NAMES) if name.endswith("_at"))
_TOKENS = _NAMES.index("tokens")
_DUE = _NAMES.index("next_action_at")


def due_lead_rows(
    connection: sqlite3.Connection, now: datetime, limit: int
) -> list[tuple[Any, ...]]:
    """The claim's rows as SQLite stored them (:func:`decode_leads` makes them leads)."""
    at = sqlite_time(now)
    heads = connection.execute(_HEADS, {"now": at}).fetchall()

    def take(schedule: int, count: int, already: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        skip, ids = _skipping([row[0] for row in already])
        statement = _TAKE["sqlite"].format(skip=skip)
        params = {"schedule": schedule, "now": at, "limit": count, **ids}
        return connection.execute(statement, params).fetchall()

    return claimed(heads, take, limit, itemgetter(_DUE, 0))


def _skipping(ids: list[int]) -> tuple[str, dict[str, int]]:
    """The condition that leaves out leads a pass before took (``n0, n1, …``: on PostgreSQL
    sent as one array, see ``db.pg_batch``)."""
    if not ids:
        return "", {}
    placeholders, params = _in_list("n", ids)
    return f" AND id NOT IN ({placeholders})", params


def unchanged_due_leads(
    connection: sqlite3.Connection, claimed: list[tuple[Any, ...]], now: datetime
) -> bool:
    """Whether the leads claimed on a snapshot (:mod:`leadflow.db.snapshot`) are still stored
    exactly so, and still due in a running schedule: then working them now works the same.
    Leads that became due since are left to the next claim, as if this one had run first."""
    found = connection.execute(
        f"SELECT {LEAD_COLUMNS} FROM leads WHERE id IN (SELECT value FROM json_each(:ids))"
        " AND next_action_at <= :now"
        " AND schedule_id IN (SELECT id FROM schedules WHERE NOT paused)",
        {"ids": orjson.dumps([row[0] for row in claimed]).decode(), "now": sqlite_time(now)},
    ).fetchall()
    by_id = itemgetter(0)
    return sorted(found, key=by_id) == sorted(claimed, key=by_id)


def decode_leads(found: list[tuple[Any, ...]]) -> list[Row]:
    """Claimed rows decoded knowing their columns (one JSON column, six times): the generic
    decoding of :class:`SqliteSql` costs ~20 µs a lead, this ~4, and the worker reads every
    lead twice (its actions, then its end). Same values, same types."""
    leads = []
    for row in found:
        values = list(row)
        for i in _TIMES:
            if values[i] is not None:
                values[i] = utc_time(values[i])
        if isinstance(values[_TOKENS], str | bytes):
            values[_TOKENS] = orjson.loads(values[_TOKENS])
        leads.append(dict(zip(_NAMES, values, strict=True)))
    return leads


def _in_list(prefix: str, values: Sequence[Any]) -> tuple[str, dict[str, Any]]:
    names = {f"{prefix}{i}": value for i, value in enumerate(values)}
    return ", ".join(f":{name}" for name in names), names


def schedules_by_id(sql: Sql, ids: Iterable[int]) -> dict[int, Row]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    placeholders, params = _in_list("s", wanted)
    rows = sql.all(
        "SELECT id, company_id, offer_id, schedule_type, time_zone, actions, calling_hours,"
        f" end_actions, dial_order, real_time_priority, dnc_settings, updated_at FROM schedules"
        f" WHERE id IN ({placeholders})",
        **params,
    )
    return {row["id"]: row for row in rows}


def schedule_of_company(sql: Sql, company_id: int, schedule_id: int) -> Row | None:
    return sql.one(
        "SELECT id, schedule_type FROM schedules WHERE id = :id AND company_id = :company",
        id=schedule_id,
        company=company_id,
    )


def suppression_of(sql: Sql, contacts: Iterable[tuple[int, str]]) -> dict[tuple[int, str], Row]:
    """Contact flags by (company, number) for the batch's contacts (absent = not suppressed).

    Asked by company and number, the key of the contacts' unique index: asked by number alone,
    the query read every company's whole suppression list, once per batch."""
    wanted = set(contacts)
    if not wanted:
        return {}
    companies, company_params = _in_list("c", sorted({company for company, _ in wanted}))
    numbers, number_params = _in_list("n", sorted({number for _, number in wanted}))
    rows = sql.all(
        "SELECT company_id, number, blocked, opt_out, dnc FROM contacts"
        f" WHERE company_id IN ({companies}) AND number IN ({numbers})",
        **company_params,
        **number_params,
    )
    return {(row["company_id"], row["number"]): row for row in rows}


def numbers_with(sql: Sql, company_id: int, capability: str) -> list[Row]:
    """The company's numbers able to ``capability``, in a stable order (the pool)."""
    rows = sql.all(
        "SELECT id, number, capabilities FROM numbers WHERE company_id = :company ORDER BY id",
        company=company_id,
    )
    return [row for row in rows if capability in (row["capabilities"] or [])]


def number_by_id(sql: Sql, number_id: int) -> str | None:
    row = sql.one("SELECT number FROM numbers WHERE id = :id", id=number_id)
    return None if row is None else str(row["number"])


def flag_contact(sql: Sql, company_id: int, number: str, flag: str, now: datetime) -> None:
    """Opt a number out or block it company-wide (the suppression list)."""
    stamp = {"opt_out": "opt_out_at", "blocked": "blocked_at"}[flag]
    updated = sql.run(
        f"UPDATE contacts SET {flag} = :yes, {stamp} = :now, updated_at = :now"
        " WHERE company_id = :company AND number = :number",
        yes=True,
        now=now,
        company=company_id,
        number=number,
    )
    if updated == 0:
        sql.run(
            f"INSERT INTO contacts (company_id, number, blocked, opt_out, dnc, {stamp},"
            " calls_count, sms_count, created_at, updated_at) VALUES (:company, :number,"
            " :blocked, :opt_out, :no, :now, 0, 0, :now, :now)",
            company=company_id,
            number=number,
            blocked=flag == "blocked",
            opt_out=flag == "opt_out",
            no=False,
            now=now,
        )


def place_callbacks(sql: Sql, lead_id: int, call_id: int, now: datetime) -> None:
    """The lead's due scheduled callbacks are kept by this call."""
    sql.run(
        "UPDATE scheduled_callbacks SET status = 'placed', call_id = :call, updated_at = :now"
        " WHERE lead_id = :lead AND status = 'scheduled' AND place_call_at <= :now",
        call=call_id,
        lead=lead_id,
        now=now,
    )


def cancel_callbacks(sql: Sql, lead_id: int, now: datetime) -> None:
    sql.run(
        "UPDATE scheduled_callbacks SET status = 'canceled', updated_at = :now"
        " WHERE lead_id = :lead AND status = 'scheduled'",
        lead=lead_id,
        now=now,
    )


def stale_unsent(sql: Sql, table: str, before: datetime, limit: int) -> list[int]:
    """Rows decided but never answered by a provider: their worker stopped in between."""
    rows = sql.all(
        f"SELECT id FROM {table} WHERE status = 'queued' AND provider_id IS NULL"
        " AND direction = 'outbound' AND created_at < :before LIMIT :limit",
        before=before,
        limit=limit,
    )
    return [int(row["id"]) for row in rows]


def set_provider_id(sql: Sql, table: str, row_id: int, provider_id: str) -> None:
    """The provider took it and named it; its status may still be the one we wrote."""
    sql.run(
        f"UPDATE {table} SET provider_id = :provider_id WHERE id = :id AND provider_id IS NULL",
        provider_id=provider_id,
        id=row_id,
    )


def calls_with_lead(sql: Sql, call_ids: Sequence[int]) -> list[Row]:
    """The calls as webhooks show them, with their lead's attribution (``lead_*``)."""
    if not call_ids:
        return []
    placeholders, params = _in_list("c", call_ids)
    return sql.all(
        "SELECT c.*, l.offer_id AS lead_offer_id, l.traffic_source_id AS lead_traffic_source_id"
        f" FROM calls c LEFT JOIN leads l ON l.id = c.lead_id WHERE c.id IN ({placeholders})"
        " ORDER BY c.id",
        **params,
    )


def company_time_zone(sql: Sql, company_id: int) -> str | None:
    row = sql.one("SELECT time_zone FROM companies WHERE id = :id", id=company_id)
    return None if row is None else row["time_zone"]


def sms_counts(
    sql: Sql, company_id: int, numbers: Sequence[str], day: datetime, month: datetime
) -> dict[str, tuple[int, int]]:
    """Outbound texts to each number since ``day`` and since ``month`` (absent: none)."""
    if not numbers:
        return {}
    placeholders, params = _in_list("n", numbers)
    rows = sql.all(
        "SELECT to_address, SUM(CASE WHEN created_at >= :day THEN 1 ELSE 0 END) AS today,"
        " COUNT(*) AS month FROM messages WHERE company_id = :company"
        f" AND to_address IN ({placeholders}) AND created_at >= :month"
        " AND channel = 'sms' AND direction = 'outbound' GROUP BY to_address",
        company=company_id,
        day=day,
        month=month,
        **params,
    )
    return {row["to_address"]: (int(row["today"]), int(row["month"])) for row in rows}


def subscribed_events(sql: Sql, company_id: int) -> frozenset[str]:
    rows = sql.all(
        "SELECT DISTINCT event FROM subscriptions WHERE company_id = :company AND active",
        company=company_id,
    )
    return frozenset(str(row["event"]) for row in rows)
