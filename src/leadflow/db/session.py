"""The request's unit of work: one session, committed at the edge before the answer leaves."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from leadflow.app_state import app_state
from leadflow.kit.errors import TrackDriveError


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """Commit after the endpoint returns and before the response is sent (scope="function"),
    so a 2xx always means the change is on disk; roll back on any exception."""
    sessionmaker: async_sessionmaker[AsyncSession] = app_state(request).sessionmaker
    async with sessionmaker() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        await session.commit()


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def get_read_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A read-only session for a read that may take a while (a report): on SQLite it holds
    neither the write lock nor the API's write connection (``db.engine.create_read_engine``).
    Nothing to commit; closing it ends its transaction."""
    async with app_state(request).read_sessionmaker() as session:
        yield session


ReadSessionDep = Annotated[AsyncSession, Depends(get_read_session)]


async def flush_or_422(session: AsyncSession) -> None:
    """Flush so that the database's own checks answer now, as a 422 and not a 500."""
    try:
        await session.flush()
    except (DBAPIError, OverflowError) as exc:
        raise TrackDriveError.invalid(
            {"base": ["a value is out of range or conflicts with another record"]}
        ) from exc


async def end_before_group_commit(session: AsyncSession) -> None:
    """End the request's own transaction before its work goes to the group commit.

    On SQLite it may hold the one write lock (a key verified just now), and the batch would
    wait for a transaction that waits for the batch. Usually the session never began one:
    nothing to end."""
    if session.in_transaction():
        await session.commit()
