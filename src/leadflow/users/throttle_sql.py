"""The sign-in throttle's rows in plain SQL, for :func:`leadflow.users.throttle.decide_attempt`,
which runs as a group-commit unit (units are plain functions over
:class:`~leadflow.db.statements.Sql`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from leadflow.db.statements import Sql
from leadflow.users.repository import Credentials


def add(sql: Sql, scope: str, subject: str, now: datetime) -> int:
    row = sql.one(
        "INSERT INTO sign_in_failures (scope, subject, failed_at) "
        "VALUES (:scope, :subject, :now) RETURNING id",
        scope=scope,
        subject=subject,
        now=now,
    )
    assert row is not None  # an INSERT ... RETURNING answers its row
    return int(row["id"])


def newest_before(
    sql: Sql, scope: str, subject: str, before_id: int, since: datetime, limit: int
) -> list[datetime]:
    """Times of the newest ``limit`` failures of ``subject`` since ``since`` that were
    written before row ``before_id``, newest first."""
    rows = sql.all(
        "SELECT failed_at FROM sign_in_failures WHERE scope = :scope AND subject = :subject "
        "AND failed_at > :since AND id < :before_id ORDER BY failed_at DESC LIMIT :limit",
        scope=scope,
        subject=subject,
        since=since,
        before_id=before_id,
        limit=limit,
    )
    return [row["failed_at"] for row in rows]


def delete_ids(sql: Sql, ids: Sequence[int]) -> None:
    for row_id in ids:
        sql.run("DELETE FROM sign_in_failures WHERE id = :id", id=row_id)


def prune(sql: Sql, older_than: datetime) -> None:
    """Drop failures that no longer count, so the table stays the size of one window."""
    sql.run("DELETE FROM sign_in_failures WHERE failed_at <= :older_than", older_than=older_than)


def credentials(sql: Sql, account: str) -> Credentials | None:
    """A disabled user has no credentials: signing in fails as for an unknown e-mail."""
    row = sql.one(
        "SELECT id, password_hash FROM users WHERE email = :email AND disabled_at IS NULL",
        email=account,
    )
    return Credentials(int(row["id"]), str(row["password_hash"])) if row is not None else None
