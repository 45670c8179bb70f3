from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from leadflow.db.types import UTCDateTime
from leadflow.models.base import Base, BigIntId, IdMixin


class ContactEvent(IdMixin, Base):
    """One change of a number's suppression state (opted out, opted in, blocked, unblocked):
    when, from where (``sms``, ``api``, ``web``, ``intake``) and why. An opt-out is the
    consumer's own request, so its lifting is kept here with the reason given."""

    __tablename__ = "contact_events"
    __table_args__ = (Index("ix_contact_events_number", "company_id", "number", "id"),)

    company_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("companies.id", ondelete="CASCADE")
    )
    number: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(String(500), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
