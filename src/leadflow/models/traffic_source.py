from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from leadflow.models.base import Base, BigIntId, IdMixin, TimestampsMixin, UuidMixin


class TrafficSource(IdMixin, UuidMixin, TimestampsMixin, Base):
    """A publisher: the attribution key every lead and call rolls up under."""

    __tablename__ = "traffic_sources"
    # Intake resolves ``traffic_source_id=pub-1`` by this id: one source per id per company,
    # archived ones included (they keep attributing their publisher's links).
    __table_args__ = (
        Index(
            "uq_traffic_sources_company_user_id",
            "company_id",
            "user_traffic_source_id",
            unique=True,
        ),
    )

    company_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    user_traffic_source_id: Mapped[str | None] = mapped_column(String(100), default=None)
    # Set by DELETE: hidden from lists and pickers, kept for its leads' attribution.
    archived_at: Mapped[datetime | None] = mapped_column(default=None)
