"""Creating users and checking their passwords; the caller commits."""

from __future__ import annotations

from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

from leadflow.clock import Clock
from leadflow.companies.repository import CompanyRepository
from leadflow.models import User
from leadflow.users.passwords import (
    MIN_PASSWORD_LENGTH,
    generate_password,
    hash_password_queued,
    password_matches_queued,
)
from leadflow.users.repository import Credentials, UserRepository, UserSessionRepository
from leadflow.users.sessions import end_sessions_of


class UserError(ValueError):
    """A user cannot be created as asked; ``field`` names the bad input."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class NewUser:
    user: User
    # Shown once (printed by the CLI and the demo); only its hash is stored.
    password: str


def normalised_email(email: str) -> str:
    """Syntax only (no DNS), lowercased: one spelling per login."""
    try:
        checked = validate_email(email.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise UserError("email", str(exc)) from None
    return checked.normalized.lower()


async def create_user(
    users: UserRepository,
    companies: CompanyRepository,
    clock: Clock,
    company_id: int,
    email: str,
    password: str | None = None,
) -> NewUser:
    """A user of ``company_id``; a random password is generated when none is given."""
    address = normalised_email(email)
    if await companies.get(company_id) is None:
        raise UserError("company", f"no company has id {company_id}")
    if await users.by_email(address) is not None:
        raise UserError("email", "a user with this e-mail already exists")
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        raise UserError("password", f"must be at least {MIN_PASSWORD_LENGTH} characters")
    chosen = password if password is not None else generate_password()
    now = clock.now()
    user = User(
        company_id=company_id,
        email=address,
        password_hash=await hash_password_queued(chosen),
        created_at=now,
        updated_at=now,
    )
    users.add(user)
    await users.session.flush()
    return NewUser(user=user, password=chosen)


async def authenticate(repo: UserRepository, email: str, password: str) -> User | None:
    """The user when e-mail and password match; None otherwise, after the same work either way."""
    credentials = await repo.credentials(email) if email.strip() else None
    user_id = await verified_user_id(credentials, password)
    return await repo.get(user_id) if user_id is not None else None


async def verified_user_id(credentials: Credentials | None, password: str) -> int | None:
    """The user's id when ``password`` matches; None otherwise, after the same argon2 work
    either way (an unknown e-mail costs as much as a wrong password)."""
    stored_hash = credentials.password_hash if credentials is not None else None
    # argon2 takes tens of milliseconds of CPU: off the event loop, one at a time.
    matches = await password_matches_queued(password, stored_hash)
    return credentials.user_id if matches and credentials is not None else None


async def reset_password(users: UserRepository, clock: Clock, user: User) -> str:
    """A new random password for ``user`` (``leadflow demo`` on a later run); shown once. Every
    session of the user ends: whoever held the old password is out."""
    password = generate_password()
    await change_password(users, clock, user, password)
    return password


async def change_password(
    users: UserRepository,
    clock: Clock,
    user: User,
    password: str,
    keep_session_token: str | None = None,
) -> None:
    """Set ``user``'s password and end the user's other sessions: a password is changed
    because someone else may know it, and their sign-ins must not outlive it."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError("password", f"must be at least {MIN_PASSWORD_LENGTH} characters")
    hashed = await hash_password_queued(password)
    now = clock.now()
    await users.set_password_hash(user.id, hashed, now)
    sessions = UserSessionRepository(users.session)
    await end_sessions_of(sessions, user.id, now, keep_token=keep_session_token)


async def remove_user(users: UserRepository, clock: Clock, user: User) -> None:
    """Remove ``user``; every session of theirs ends with them (revoked first, so that the
    rows say when, until the user's deletion takes them away)."""
    await end_sessions_of(UserSessionRepository(users.session), user.id, clock.now())
    await users.remove(user)
    await users.session.flush()


async def disable_user(users: UserRepository, clock: Clock, user: User) -> None:
    """``user`` can no longer sign in and is signed out everywhere at once; unlike removal, the
    account (its e-mail, its history) is kept and :func:`enable_user` lets them back in."""
    now = clock.now()
    await users.set_disabled(user.id, now, now)
    await end_sessions_of(UserSessionRepository(users.session), user.id, now)


async def enable_user(users: UserRepository, clock: Clock, user: User) -> None:
    """Let a disabled user sign in again, with the password they had."""
    await users.set_disabled(user.id, None, clock.now())
