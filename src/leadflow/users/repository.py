"""Queries on ``users``, their web sessions and the sign-in throttle's failures. E-mails are
stored lowercased, so lookups lowercase too."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from leadflow.models import Company, SignInFailure, User, UserSession


@dataclass(frozen=True)
class Credentials:
    """What a sign-in checks, as plain values: they outlive the session that read them, so
    the password check (tens of milliseconds of argon2) holds no transaction open."""

    user_id: int
    password_hash: str


class UserRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def credentials(self, email: str) -> Credentials | None:
        # A disabled user has no credentials: signing in fails as for an unknown e-mail.
        stmt = select(User.id, User.password_hash).where(
            User.email == email.strip().lower(), User.disabled_at.is_(None)
        )
        found = (await self.session.execute(stmt)).first()
        return Credentials(found[0], found[1]) if found is not None else None

    async def by_email(self, email: str) -> User | None:
        stmt = select(User).where(User.email == email.strip().lower())
        return (await self.session.scalars(stmt)).first()

    async def get(self, user_id: int) -> User | None:
        return await self.session.get(User, user_id)

    async def first_of_company(self, company_id: int) -> User | None:
        stmt = select(User).where(User.company_id == company_id).order_by(User.id).limit(1)
        return (await self.session.scalars(stmt)).first()

    async def of_company(self, company_id: int) -> Sequence[User]:
        stmt = select(User).where(User.company_id == company_id).order_by(User.email)
        return (await self.session.scalars(stmt)).all()

    async def in_company(self, company_id: int, user_id: int) -> User | None:
        """The user when they belong to ``company_id``: another company's user is nobody."""
        stmt = select(User).where(User.company_id == company_id, User.id == user_id)
        return (await self.session.scalars(stmt)).first()

    def add(self, user: User) -> None:
        self.session.add(user)

    async def remove(self, user: User) -> None:
        await self.session.delete(user)

    async def touch_login(self, user_id: int, now: datetime) -> None:
        await self.session.execute(update(User).where(User.id == user_id).values(last_login_at=now))

    async def set_disabled(self, user_id: int, disabled_at: datetime | None, now: datetime) -> None:
        await self.session.execute(
            update(User).where(User.id == user_id).values(disabled_at=disabled_at, updated_at=now)
        )

    async def set_password_hash(self, user_id: int, password_hash: str, now: datetime) -> None:
        await self.session.execute(
            update(User)
            .where(User.id == user_id)
            .values(password_hash=password_hash, updated_at=now)
        )


class UserSessionRepository:
    """Queries on ``web_sessions``: found by the hash of the cookie's token, never the token."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, row: UserSession) -> None:
        self.session.add(row)

    async def live_with_user(
        self, token_hash: str, now: datetime
    ) -> tuple[UserSession, User, str] | None:
        """The session, its user and the company's time zone while the session is neither
        revoked nor expired."""
        stmt = (
            select(UserSession, User, Company.time_zone)
            .join(User, User.id == UserSession.user_id)
            .join(Company, Company.id == User.company_id)
            .where(
                UserSession.token_hash == token_hash,
                UserSession.revoked_at.is_(None),
                UserSession.expires_at > now,
                User.disabled_at.is_(None),
            )
        )
        found = (await self.session.execute(stmt)).first()
        return (found[0], found[1], found[2]) if found is not None else None

    async def touch(self, session_id: int, now: datetime) -> None:
        await self.session.execute(
            update(UserSession).where(UserSession.id == session_id).values(last_seen_at=now)
        )

    async def revoke_by_hash(self, token_hash: str, now: datetime) -> None:
        await self.session.execute(
            update(UserSession)
            .where(UserSession.token_hash == token_hash, UserSession.revoked_at.is_(None))
            .values(revoked_at=now)
        )

    async def revoke_of_user(
        self, user_id: int, now: datetime, keep_hash: str | None = None
    ) -> None:
        """Revoke every live session of ``user_id`` except the one whose hash is ``keep_hash``."""
        stmt = update(UserSession).where(
            UserSession.user_id == user_id, UserSession.revoked_at.is_(None)
        )
        if keep_hash is not None:
            stmt = stmt.where(UserSession.token_hash != keep_hash)
        await self.session.execute(stmt.values(revoked_at=now))


class SignInFailureRepository:
    """What a successful sign-in clears of ``sign_in_failures`` (the throttle's counts, shared
    by every process), in the request's own transaction. Attempts are recorded and decided in
    a group-commit unit instead (``users.throttle.decide_attempt``)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def delete_ids(self, ids: Sequence[int]) -> None:
        await self.session.execute(delete(SignInFailure).where(SignInFailure.id.in_(ids)))

    async def clear(self, scope: str, subject: str) -> None:
        await self.session.execute(
            delete(SignInFailure).where(
                SignInFailure.scope == scope, SignInFailure.subject == subject
            )
        )
