"""What ``leadflow users`` does to one account, each on a database session of its own: an
operator's way back in when a password is lost, and out when someone leaves."""

from __future__ import annotations

from leadflow.clock import SystemClock
from leadflow.db.engine import create_engine
from leadflow.db.session import make_sessionmaker
from leadflow.users.repository import UserRepository
from leadflow.users.service import UserError, change_password, remove_user


async def set_password_now(database_url: str, email: str, password: str) -> int:
    """Set the password of the user signing in with ``email``; every session of theirs ends.
    Returns the user's id; raises ``UserError`` for an unknown e-mail or a short password."""
    engine = create_engine(database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            users = UserRepository(session)
            user = await users.by_email(email)
            if user is None:
                raise UserError("email", "no user signs in with this e-mail")
            await change_password(users, SystemClock(), user, password)
            await session.commit()
            return user.id
    finally:
        await engine.dispose()


async def remove_user_now(database_url: str, email: str) -> int:
    """Remove the user signing in with ``email``; their sessions end at once, in every process."""
    engine = create_engine(database_url)
    try:
        async with make_sessionmaker(engine)() as session:
            users = UserRepository(session)
            user = await users.by_email(email)
            if user is None:
                raise UserError("email", "no user signs in with this e-mail")
            user_id = user.id
            await remove_user(users, SystemClock(), user)
            await session.commit()
            return user_id
    finally:
        await engine.dispose()
