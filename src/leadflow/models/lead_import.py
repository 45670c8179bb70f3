"""A CSV file of leads being imported, and the rows it rejected.

The import's progress (``rows_done``, ``accepted``, ``rejected``) is written in the same
transaction as the leads of each batch, and each rejected row with it: an import killed at any
point and started again resumes after the last committed row, so it neither loses nor doubles
one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from leadflow.models.base import Base, BigIntId, IdMixin, TimestampsMixin, UuidMixin


class LeadImportStatus:
    QUEUED = "queued"  # uploaded in the web app; the worker takes it
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"  # the file itself could not be read; ``error`` says why
    UNFINISHED = (QUEUED, RUNNING)


class LeadImport(IdMixin, UuidMixin, TimestampsMixin, Base):
    __tablename__ = "lead_imports"
    __table_args__ = (Index("ix_lead_imports_company_fingerprint", "company_id", "fingerprint"),)

    company_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("companies.id", ondelete="CASCADE")
    )
    # The schedule's or offer's lead token every row is posted with, as POST /leads takes it.
    lead_token: Mapped[str] = mapped_column(String(100))
    filename: Mapped[str] = mapped_column(String(255))
    # Where the file is kept while the worker imports it (web uploads); the CLI's own path.
    path: Mapped[str] = mapped_column(String(1000))
    # sha256 of the file, the token and the mapping: the same import started again resumes.
    fingerprint: Mapped[str] = mapped_column(String(64))
    # CSV column → the POST /leads field or token it fills ("" leaves the column out).
    mapping: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    encoding: Mapped[str] = mapped_column(String(20))
    delimiter: Mapped[str] = mapped_column(String(4))
    status: Mapped[str] = mapped_column(String(16), default=LeadImportStatus.RUNNING)
    total_rows: Mapped[int | None] = mapped_column(BigInteger, default=None)
    rows_done: Mapped[int] = mapped_column(BigInteger, default=0)
    accepted: Mapped[int] = mapped_column(BigInteger, default=0)
    rejected: Mapped[int] = mapped_column(BigInteger, default=0)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)


class LeadImportError(Base):
    """A rejected row: its place in the file, the message the API would have answered, and
    its values (for the errors CSV)."""

    __tablename__ = "lead_import_errors"
    __table_args__ = (Index("ix_lead_import_errors_import_row", "import_id", "row_number"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    import_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("lead_imports.id", ondelete="CASCADE")
    )
    row_number: Mapped[int] = mapped_column(Integer)
    message: Mapped[str] = mapped_column(Text)
    row_values: Mapped[list[Any]] = mapped_column(JSON, default=list)
