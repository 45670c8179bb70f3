from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from leadflow.models.base import Base, BigIntId, IdMixin, TimestampsMixin, UuidMixin


class TrafficSource(IdMixin, UuidMixin, TimestampsMixin, Base):
    """A publisher: the attribution key every lead and call rolls up under."""

    __tablename__ = "traffic_sources"

    company_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    user_traffic_source_id: Mapped[str | None] = mapped_column(String(100), default=None)
