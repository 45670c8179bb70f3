"""Do-not-call list versions: which file holds each named list now, and every import's record.

The bits themselves live in files (see ``leadflow.dnc.store``); the database only says which
file is current. Switching a list to a new version is one transaction on ``dnc_lists``, so every
process of every node, reading the same database, agrees on the version in force.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from leadflow.db.types import JSONDict, UTCDateTime
from leadflow.models.base import Base, IdMixin


class DncList(Base):
    """A shared list (``federal``, ``state:XX``, ``litigator``) and its current version."""

    __tablename__ = "dnc_lists"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    file_name: Mapped[str] = mapped_column(String(200))
    numbers: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DncImport(IdMixin, Base):
    """One import, finished: the version it made, what it read and what it rejected and why.

    ``kind`` is ``full`` (the file is the whole list), ``additions`` or ``deletions`` (a change
    list applied to the version before it). ``rejects`` holds the count per reason and the
    first rejected rows with their line numbers."""

    __tablename__ = "dnc_imports"

    list_name: Mapped[str] = mapped_column(String(32), index=True)
    version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    source_name: Mapped[str] = mapped_column(String(300))
    file_name: Mapped[str] = mapped_column(String(200))
    rows: Mapped[int] = mapped_column(BigInteger)
    rejected: Mapped[int] = mapped_column(BigInteger)
    numbers: Mapped[int] = mapped_column(BigInteger)
    rejects: Mapped[dict[str, Any]] = mapped_column(JSONDict, default=dict)
    switched: Mapped[bool] = mapped_column(Boolean, default=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime())
