"""Web sessions kept server-side: opened at sign-in, ended by logout, a password change or
removing the user.

The cookie carries a random 256-bit token and the database keeps only its SHA-256, so the
table alone signs nobody in (the same reasoning as API private keys, see ``companies.keys``).
Every authenticated web request looks its session up, so a revocation holds from the next
request on, in every process.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from leadflow.clock import Clock
from leadflow.models import User, UserSession
from leadflow.users.repository import UserSessionRepository

# last_seen_at is written at most this often per session: one write per page view would
# take SQLite's write lock on every click for a figure nobody needs to the second.
LAST_SEEN_RESOLUTION = timedelta(seconds=60)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(
    sessions: UserSessionRepository, clock: Clock, user_id: int, lifetime_seconds: int
) -> str:
    """A new session of ``user_id``; the token returned goes into the cookie, once."""
    token = secrets.token_urlsafe(32)
    now = clock.now()
    sessions.add(
        UserSession(
            token_hash=token_hash(token),
            user_id=user_id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(seconds=lifetime_seconds),
        )
    )
    return token


@dataclass(frozen=True)
class LiveSession:
    session_id: int
    user: User
    # The company's time zone: the web app shows every time in it.
    time_zone: str
    # True when last_seen_at is old enough to be written again (the caller commits).
    touched: bool


async def live_session(
    sessions: UserSessionRepository, token: str, now: datetime
) -> LiveSession | None:
    """The signed-in user behind ``token``, or None when it names no live session (unknown,
    revoked, expired, or its user removed)."""
    found = await sessions.live_with_user(token_hash(token), now)
    if found is None:
        return None
    row, user, time_zone = found
    touched = now - row.last_seen_at >= LAST_SEEN_RESOLUTION
    if touched:
        await sessions.touch(row.id, now)
    return LiveSession(session_id=row.id, user=user, time_zone=time_zone, touched=touched)


async def end_session(sessions: UserSessionRepository, token: str, now: datetime) -> None:
    """Logout: this session stops working at once, wherever its cookie was copied."""
    await sessions.revoke_by_hash(token_hash(token), now)


async def end_sessions_of(
    sessions: UserSessionRepository, user_id: int, now: datetime, keep_token: str | None = None
) -> None:
    """Every session of ``user_id`` stops working, except the one holding ``keep_token`` (the
    session that changed the password stays signed in)."""
    keep = token_hash(keep_token) if keep_token is not None else None
    await sessions.revoke_of_user(user_id, now, keep_hash=keep)
