from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from leadflow.db.types import UTCDateTime
from leadflow.models.base import Base


class TimeLock(Base):
    """A key taken for a window of time, shared by every process through the database.

    The 30-second redial lock (scope ``dial:<company>``, key the number) and duplicate
    detection windows are rows here: a key may be taken again only once ``taken_at`` is older
    than the window, decided by one conditional upsert so that concurrent takers never both win.
    """

    __tablename__ = "time_locks"

    scope: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RateWindow(Base):
    """How many times a scope was used in one fixed window (e.g. a company's calls in one
    second): incremented by a conditional upsert, so a budget holds across processes."""

    __tablename__ = "rate_windows"

    scope: Mapped[str] = mapped_column(String(64), primary_key=True)
    slot: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
