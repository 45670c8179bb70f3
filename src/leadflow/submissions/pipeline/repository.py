"""The pipeline's queries, plain SQL over :class:`~leadflow.db.statements.Sql` (hot path).

Submissions move ``new``/``queued`` → ``processing`` (claimed, with a lease in
``next_attempt_at``) → a final status. A ``processing`` row whose ``delivery`` holds a
``startedAt`` was handed to the buyer's endpoint; one whose lease ran out is swept.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from leadflow.db.statements import Row, Sql
from leadflow.db.time_locks import forget_locks, use_rate_slot
from leadflow.kit import fair_share
from leadflow.models.base import new_uuid

SUBMISSION_COLUMNS = (
    "id, uuid, company_id, lead_id, campaign_id, number, type, status, data, steps,"
    " qualification, routing, delivery, attempts, next_attempt_at, delivered_at, created_at"
)


def _claim_statement(dialect: str, skipped: str) -> str:
    """Due rows, oldest first, but those of the ``skipped`` companies (placeholders). On
    PostgreSQL many workers claim: each locks the rows it takes and skips those another holds;
    on SQLite, one writer, the transaction is the claim and ``processing`` keeps it."""
    return (
        f"SELECT {SUBMISSION_COLUMNS} FROM submissions WHERE status IN ('new', 'queued')"
        + (f" AND company_id NOT IN ({skipped})" if skipped else "")
        + " AND next_attempt_at <= :now ORDER BY next_attempt_at LIMIT :limit"
        + (" FOR UPDATE SKIP LOCKED" if dialect == "postgresql" else "")
    )


# Counters for caps live in rate_windows under their own scope, numbered above every epoch
# second, so that no pruning of per-second windows can forget how many leads a campaign took.
CAP_SLOT_BASE = 2**62
LIFETIME_SLOT = CAP_SLOT_BASE


def _in_list(prefix: str, values: Sequence[Any]) -> tuple[str, dict[str, Any]]:
    names = {f"{prefix}{i}": value for i, value in enumerate(values)}
    return ", ".join(f":{name}" for name in names), names


def claim_due(
    sql: Sql,
    now: datetime,
    limit: int,
    lease_until: datetime,
    lease_seconds: float,
    in_flight: Mapping[int, int] | None = None,
    share: int | None = None,
) -> tuple[list[Row], bool]:
    """Due submissions, oldest first, marked ``processing`` until ``lease_until``, and whether
    a company's share left some of those read behind. With a ``share``, each company's are
    taken only while what it has ``in_flight`` and what this claim gives it stay within the
    share (:mod:`~leadflow.kit.fair_share`); the rows left stay due."""
    if sql.dialect == "postgresql":
        sql.run(f"SET LOCAL idle_in_transaction_session_timeout = {int(lease_seconds * 1000)}")
    held = sorted(fair_share.full(in_flight or {}, share)) if share is not None else []
    skipped, companies = _in_list("c", held)
    found = sql.all(_claim_statement(sql.dialect, skipped), now=now, limit=limit, **companies)
    rows = found if share is None else fair_share.within_share(found, in_flight or {}, share)
    if rows:
        placeholders, params = _in_list("s", [row["id"] for row in rows])
        sql.run(
            "UPDATE submissions SET status = 'processing', next_attempt_at = :lease,"
            f" updated_at = :now WHERE id IN ({placeholders})",
            lease=lease_until,
            now=now,
            **params,
        )
    return rows, len(rows) < len(found)


def leads_by_id(sql: Sql, ids: Iterable[int]) -> dict[int, Row]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    placeholders, params = _in_list("l", wanted)
    rows = sql.all(
        "SELECT id, uuid, company_id, campaign_id, first_name, last_name, email, phone, status,"
        f" is_test, data, pixels_fired FROM submitted_leads WHERE id IN ({placeholders})",
        **params,
    )
    return {row["id"]: row for row in rows}


def campaigns_of(sql: Sql, company_ids: Iterable[int]) -> list[Row]:
    """Every campaign of the batch's companies: routing targets, fallbacks and overflow
    targets are named by uuid or code, and a company has tens of campaigns, not thousands."""
    wanted = sorted(set(company_ids))
    if not wanted:
        return []
    placeholders, params = _in_list("c", wanted)
    return sql.all(
        "SELECT id, uuid, company_id, name, code, status, time_zone, duplicate_window_days,"
        f" config, updated_at FROM campaigns WHERE company_id IN ({placeholders})",
        **params,
    )


def other_lead_holds(sql: Sql, lead: Row, campaign_id: int, since: datetime) -> bool:
    """Whether another real lead with ``lead``'s duplicate key (its phone, else its e-mail)
    has a submission to the campaign since ``since`` that was not itself a duplicate (one not
    yet run has taken nothing): only then is a re-submission of ``lead`` a duplicate."""
    if lead.get("phone"):
        same_key, key = "l.phone = :key", lead["phone"]
    else:
        same_key = "lower(l.email) = :key AND (l.phone IS NULL OR l.phone = '')"
        key = str(lead.get("email") or "").strip().lower()
    found = sql.one(
        "SELECT 1 AS held FROM submissions s JOIN submitted_leads l ON l.id = s.lead_id"
        f" WHERE l.company_id = :company AND {same_key} AND l.id <> :lead AND NOT l.is_test"
        " AND s.campaign_id = :campaign AND s.created_at >= :since"
        " AND s.status NOT IN ('new', 'duplicate') LIMIT 1",
        company=lead["company_id"],
        key=key,
        lead=lead["id"],
        campaign=campaign_id,
        since=since,
    )
    return found is not None


def schedule_owner(sql: Sql, company_id: int, schedule_id: int) -> Row | None:
    """What enrolling into a schedule needs (the first-submission action)."""
    return sql.one(
        "SELECT s.id, s.offer_id, s.schedule_type, s.paused, s.lead_duplicate_timeframe,"
        " s.dnc_settings, c.default_region FROM schedules s JOIN companies c ON c.id = s.company_id"
        " WHERE s.id = :id AND s.company_id = :company",
        id=schedule_id,
        company=company_id,
    )


def update_submission(sql: Sql, submission_id: int, now: datetime, **values: Any) -> int:
    """Write the given columns; only while the row is still ``processing`` (a row the sweep
    already ended is not overwritten by a worker that woke up late)."""
    assignments = ", ".join(f"{name} = :{name}" for name in values)
    return sql.run(
        f"UPDATE submissions SET {assignments}, updated_at = :now"
        " WHERE id = :id AND status = 'processing'",
        id=submission_id,
        now=now,
        **values,
    )


def set_lead_status(sql: Sql, lead_id: int, status: str, now: datetime) -> None:
    sql.run(
        "UPDATE submitted_leads SET status = :status, updated_at = :now WHERE id = :id",
        status=status,
        now=now,
        id=lead_id,
    )


def mark_pixel_fired(sql: Sql, lead_id: int, fired: list[str], now: datetime) -> None:
    sql.run(
        "UPDATE submitted_leads SET pixels_fired = :fired, updated_at = :now WHERE id = :id",
        fired=fired,
        now=now,
        id=lead_id,
    )


def dedupe_scope(campaign_id: int) -> str:
    """The ``time_locks`` scope holding a campaign's duplicate window, one key per lead."""
    return f"dedupe:{campaign_id}"


_ORPHAN_DEDUPE_LOCKS = """
DELETE FROM time_locks WHERE scope LIKE 'dedupe:%' AND NOT EXISTS (
    SELECT 1 FROM campaigns WHERE 'dedupe:' || CAST(campaigns.id AS TEXT) = time_locks.scope
    AND campaigns.duplicate_window_days > 0
)
"""


def forget_expired_duplicate_locks(sql: Sql, now: datetime) -> int:
    """Delete the duplicate locks no submission can run into any more: older than their
    campaign's window as it is now (a shortened window frees its old keys at once, as
    :func:`~leadflow.db.time_locks.take_time_lock` would), or of a campaign that is gone or
    has detection off. Without it ``time_locks`` keeps one row per lead ever submitted."""
    windows = sql.all(
        "SELECT id, duplicate_window_days FROM campaigns WHERE duplicate_window_days > 0"
    )
    removed = sum(
        forget_locks(
            sql,
            dedupe_scope(row["id"]),
            now - timedelta(days=row["duplicate_window_days"]),
            exact=True,
        )
        for row in windows
    )
    return removed + sql.run(_ORPHAN_DEDUPE_LOCKS)


def reserve_cap(sql: Sql, campaign_id: int, slot: int, limit: int) -> bool:
    """Count one lead against a campaign's cap window unless it is full (atomic, shared by
    every worker process)."""
    return use_rate_slot(sql, f"cap:{campaign_id}", slot, limit)


def release_cap(sql: Sql, campaign_id: int, slot: int) -> None:
    """Give back a reserved place: the buyer did not take the lead."""
    sql.run(
        "UPDATE rate_windows SET count = count - 1 WHERE scope = :scope AND slot = :slot"
        " AND count > 0",
        scope=f"cap:{campaign_id}",
        slot=slot,
    )


def stale_processing(sql: Sql, now: datetime, limit: int) -> list[Row]:
    """Claimed submissions whose lease ran out: their worker stopped."""
    return sql.all(
        "SELECT id, lead_id, delivery, steps FROM submissions WHERE status = 'processing'"
        " AND next_attempt_at < :now LIMIT :limit",
        now=now,
        limit=limit,
    )


def insert_submitted_lead(sql: Sql, now: datetime, **values: Any) -> Row:
    """A LeadSail lead (tests, tools and the submit endpoint share the one insert)."""
    row: dict[str, Any] = {
        "uuid": new_uuid(),
        "campaign_id": None,
        "first_name": None,
        "last_name": None,
        "email": None,
        "phone": None,
        "status": "new",
        "is_test": False,
        "data": {},
        "pixels_fired": [],
        **values,
    }
    found = sql.one(
        "INSERT INTO submitted_leads (uuid, company_id, campaign_id, first_name, last_name,"
        " email, phone, status, is_test, data, pixels_fired, created_at, updated_at) VALUES"
        " (:uuid, :company_id, :campaign_id, :first_name, :last_name, :email, :phone, :status,"
        " :is_test, :data, :pixels_fired, :now, :now) RETURNING id",
        now=now,
        **row,
    )
    assert found is not None
    row["id"] = found["id"]
    return row


def insert_submission(sql: Sql, now: datetime, **values: Any) -> Row:
    """A submission due at once (``status`` new); ``number`` defaults to the lead's next."""
    if "number" not in values:
        last = sql.one(
            "SELECT COALESCE(MAX(number), 0) AS n FROM submissions WHERE lead_id = :lead",
            lead=values["lead_id"],
        )
        values["number"] = int(last["n"] if last else 0) + 1
    row: dict[str, Any] = {
        "uuid": new_uuid(),
        "type": "original",
        "status": "new",
        "data": {},
        "next_attempt_at": now,
        **values,
    }
    found = sql.one(
        "INSERT INTO submissions (uuid, company_id, lead_id, campaign_id, number, type, status,"
        " data, steps, qualification, routing, delivery, attempts, next_attempt_at,"
        " created_at, updated_at) VALUES (:uuid, :company_id, :lead_id, :campaign_id, :number,"
        " :type, :status, :data, :empty_list, :empty, :empty, :empty, 0, :next_attempt_at,"
        " :now, :now) RETURNING id",
        now=now,
        empty={},
        empty_list=[],
        **row,
    )
    assert found is not None
    row["id"] = found["id"]
    return row
