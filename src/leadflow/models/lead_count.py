from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from leadflow.models.base import Base, BigIntId


class LeadCount(Base):
    """How many leads a company has, kept by triggers on SQLite (migration 0003), so an
    unfiltered lead list answers ``total_count`` without counting a million index entries.
    PostgreSQL counts instead: one hot counter row would serialise every writer."""

    __tablename__ = "lead_counts"

    company_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True
    )
    count: Mapped[int] = mapped_column(BigInteger, default=0)
