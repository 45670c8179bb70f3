"""The sign-in throttle: failed sign-ins per account and per client address, counted in the
database so that the limits hold across every API process.

An attempt is written as a failure *before* its password is checked: twenty guesses sent in
parallel then see each other, where a count read before and written after would let every one
of them through. Each attempt counts only the failures written before its own row, so the first
attempts of a burst are checked and the rest refused. A refused attempt removes its rows again
(it checked nothing, so it is no failure), and a success removes its own rows and clears the
account's count. A failure stops counting once it is older than the window, so a lockout ends
by itself ``sign_in_window_seconds`` after the failures that caused it, however long an attacker
keeps trying.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from leadflow.db.statements import Sql
from leadflow.settings import Settings
from leadflow.users import throttle_sql
from leadflow.users.repository import Credentials, SignInFailureRepository

ACCOUNT = "account"
ADDRESS = "address"


@dataclass(frozen=True)
class SignInLimits:
    window: timedelta
    per_account: int
    per_address: int

    @classmethod
    def from_settings(cls, settings: Settings) -> SignInLimits:
        return cls(
            window=timedelta(seconds=settings.sign_in_window_seconds),
            per_account=settings.sign_in_failures_per_account,
            per_address=settings.sign_in_failures_per_address,
        )

    def of(self, scope: str) -> int:
        return self.per_account if scope == ACCOUNT else self.per_address


@dataclass(frozen=True)
class Attempt:
    """One sign-in attempt's rows: the e-mail as typed (normalised) and the client address."""

    account: str
    address: str
    row_ids: dict[str, int]


@dataclass(frozen=True)
class Refusal:
    scope: str
    retry_after_seconds: int


def account_subject(email: str) -> str:
    """One count per spelling a login accepts: ``users`` stores e-mails lowercased."""
    return email.strip().lower()[:320]


def retry_after_seconds(
    newest_first: Sequence[datetime], limit: int, window: timedelta, now: datetime
) -> int | None:
    """Seconds until one more attempt is allowed, or None when it is allowed now.

    ``newest_first`` holds up to ``limit`` failures still in the window, newest first. With
    ``limit`` of them, the attempt waits until the oldest of those leaves the window."""
    if len(newest_first) < limit:
        return None
    frees_at = newest_first[limit - 1] + window
    # Another process may have stamped its failure a moment after this attempt's ``now``:
    # no failure counts longer than one window, so neither does the wait.
    wait = math.ceil((frees_at - now).total_seconds())
    return max(1, min(wait, math.ceil(window.total_seconds())))


def _subject_key(scope: str, subject: str) -> int:
    """A stable 63-bit advisory-lock key for one counted subject."""
    digest = hashlib.blake2b(f"sign-in:{scope}:{subject}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1


def lock_key(email: str, address: str) -> int:
    """The group-commit order of an attempt's unit: the smaller of its two subjects' keys."""
    return min(_subject_key(ACCOUNT, account_subject(email)), _subject_key(ADDRESS, address))


def decide_attempt(
    sql: Sql, limits: SignInLimits, email: str, address: str, now: datetime
) -> tuple[Attempt, Refusal | None, Credentials | None]:
    """A group-commit unit: record the attempt as a failure of its account and of its
    address, decide whether it may go on, and read the account's id and hash.

    Run in a batch beside other companies' lead posts, a guess costs SQLite no write
    transaction of its own (it used to cost two, each queueing everyone's posts behind the one
    write lock). Attempts still see each other: units run one after another in a batch, SQLite
    has one writer, and on PostgreSQL each unit first locks its two subjects until its batch
    commits. A refused attempt removes its rows again: it checked no password."""
    account = account_subject(email)
    subjects = {ACCOUNT: account, ADDRESS: address}
    if sql.dialect == "postgresql":
        for key in sorted(_subject_key(scope, subject) for scope, subject in subjects.items()):
            sql.one("SELECT pg_advisory_xact_lock(:key)", key=key)
    throttle_sql.prune(sql, now - limits.window)
    ids = {scope: throttle_sql.add(sql, scope, subject, now) for scope, subject in subjects.items()}
    attempt = Attempt(account=account, address=address, row_ids=ids)
    worst: Refusal | None = None
    for scope, subject in subjects.items():
        limit = limits.of(scope)
        recent = throttle_sql.newest_before(
            sql, scope, subject, ids[scope], now - limits.window, limit
        )
        wait = retry_after_seconds(recent, limit, limits.window, now)
        if wait is not None and (worst is None or wait > worst.retry_after_seconds):
            worst = Refusal(scope=scope, retry_after_seconds=wait)
    if worst is not None:
        throttle_sql.delete_ids(sql, list(ids.values()))
    credentials = throttle_sql.credentials(sql, account) if account else None
    return attempt, worst, credentials


async def succeeded(repo: SignInFailureRepository, attempt: Attempt) -> None:
    """A correct password: the account's count starts again, and this attempt is no failure
    of its address either (the address's earlier failures still count)."""
    await repo.clear(ACCOUNT, attempt.account)
    await repo.delete_ids([attempt.row_ids[ADDRESS]])
