from __future__ import annotations

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from leadflow.models.base import Base, BigIntId, IdMixin, TimestampsMixin, UuidMixin


class Offer(IdMixin, UuidMixin, TimestampsMixin, Base):
    """A vertical. Its lead token stores data that a later call from the caller picks up."""

    __tablename__ = "offers"

    company_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    leads_api_key: Mapped[str] = mapped_column(String(64), unique=True)
    destination_number: Mapped[str | None] = mapped_column(String(20), default=None)
