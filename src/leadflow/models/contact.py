from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from leadflow.models.base import Base, BigIntId, IdMixin, TimestampsMixin


class Contact(IdMixin, TimestampsMixin, Base):
    """One phone number of one company: the suppression list every outbound action checks."""

    __tablename__ = "contacts"
    __table_args__ = (UniqueConstraint("company_id", "number"),)

    company_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("companies.id", ondelete="CASCADE")
    )
    number: Mapped[str] = mapped_column(String(20))
    blocked: Mapped[bool] = mapped_column(Boolean, default=False)
    opt_out: Mapped[bool] = mapped_column(Boolean, default=False)
    dnc: Mapped[bool] = mapped_column(Boolean, default=False)
    blocked_at: Mapped[datetime | None] = mapped_column(default=None)
    opt_out_at: Mapped[datetime | None] = mapped_column(default=None)
    sms_opt_out_at: Mapped[datetime | None] = mapped_column(default=None)
    calls_count: Mapped[int] = mapped_column(Integer, default=0)
    sms_count: Mapped[int] = mapped_column(Integer, default=0)

    @property
    def is_suppressed(self) -> bool:
        return self.blocked or self.opt_out or self.dnc
