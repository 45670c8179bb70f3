from __future__ import annotations

from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from leadflow.db.types import JSONDict
from leadflow.models.base import Base, BigIntId, IdMixin, TimestampsMixin, UuidMixin


class Call(IdMixin, UuidMixin, TimestampsMixin, Base):
    """An inbound or outbound call. It inherits its lead's tokens when it is placed."""

    __tablename__ = "calls"
    __table_args__ = (Index("ix_calls_company_created", "company_id", "created_at"),)

    company_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("companies.id", ondelete="CASCADE")
    )
    lead_id: Mapped[int | None] = mapped_column(
        BigIntId, ForeignKey("leads.id", ondelete="SET NULL"), default=None, index=True
    )
    schedule_id: Mapped[int | None] = mapped_column(
        BigIntId, ForeignKey("schedules.id", ondelete="SET NULL"), default=None
    )
    direction: Mapped[str] = mapped_column(String(16), default="outbound")
    to_number: Mapped[str] = mapped_column(String(20))
    from_number: Mapped[str | None] = mapped_column(String(20), default=None)
    status: Mapped[str] = mapped_column(String(32), default="queued")
    provider_id: Mapped[str | None] = mapped_column(String(100), default=None)
    tokens: Mapped[dict[str, Any]] = mapped_column(JSONDict, default=dict)
