"""What ``leadflow users`` does to one account, each on a database session of its own: an
operator's way back in when a password is lost, and out when someone leaves."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from leadflow.clock import Clock, SystemClock
from leadflow.db.engine import create_engine, make_sessionmaker
from leadflow.models import User
from leadflow.users.repository import UserRepository
from leadflow.users.service import (
    UserError,
    change_password,
    disable_user,
    enable_user,
    remove_user,
)

Act = Callable[[UserRepository, Clock, User], Awaitable[None]]


async def _with_user(database_url: str, email: str, act: Act) -> int:
    """Run ``act`` on the user signing in with ``email`` and commit; returns the user's id.
    Raises ``UserError`` for an unknown e-mail (or whatever ``act`` refuses)."""
    engine = create_engine(database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            users = UserRepository(session)
            user = await users.by_email(email)
            if user is None:
                raise UserError("email", "no user signs in with this e-mail")
            user_id = user.id
            await act(users, SystemClock(), user)
            await session.commit()
            return user_id
    finally:
        await engine.dispose()


async def set_password_now(database_url: str, email: str, password: str) -> int:
    """Set the user's password; every session of theirs ends. Raises ``UserError`` for an
    unknown e-mail or a short password."""

    async def act(users: UserRepository, clock: Clock, user: User) -> None:
        await change_password(users, clock, user, password)

    return await _with_user(database_url, email, act)


async def remove_user_now(database_url: str, email: str) -> int:
    """Remove the user; their sessions end at once, in every process."""
    return await _with_user(database_url, email, remove_user)


async def disable_user_now(database_url: str, email: str) -> int:
    """Disable the user (kept, but signed out and unable to sign in)."""
    return await _with_user(database_url, email, disable_user)


async def enable_user_now(database_url: str, email: str) -> int:
    """Let a disabled user sign in again with their password."""
    return await _with_user(database_url, email, enable_user)
