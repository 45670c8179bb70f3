from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from leadflow.models.base import Base, BigIntId, IdMixin, TimestampsMixin, UuidMixin

SMS = "sms"
EMAIL = "email"


class MessageStatus:
    """Twilio's message statuses (e-mail uses ``queued``, ``sent``, ``failed``) plus
    ``unknown``, as for calls: decided and committed, but the worker stopped before the
    provider answered, so it is never sent again."""

    QUEUED = "queued"
    SENT = "sent"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    RECEIVED = "received"
    UNKNOWN = "unknown"

    FINAL = frozenset({DELIVERED, UNDELIVERED, FAILED, RECEIVED, UNKNOWN})


class Message(IdMixin, UuidMixin, TimestampsMixin, Base):
    """A text message or e-mail, sent to a lead or (inbound SMS) received from one."""

    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_company_created", "company_id", "created_at"),
        Index("ix_messages_status_created", "status", "created_at"),
        # Per-contact SMS caps count a number's messages in a day and a month.
        Index("ix_messages_recipient", "company_id", "to_address", "created_at"),
    )

    company_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("companies.id", ondelete="CASCADE")
    )
    lead_id: Mapped[int | None] = mapped_column(
        BigIntId, ForeignKey("leads.id", ondelete="SET NULL"), default=None, index=True
    )
    schedule_id: Mapped[int | None] = mapped_column(
        BigIntId, ForeignKey("schedules.id", ondelete="SET NULL"), default=None
    )
    channel: Mapped[str] = mapped_column(String(8))
    direction: Mapped[str] = mapped_column(String(16), default="outbound")
    to_address: Mapped[str] = mapped_column(String(320))
    from_address: Mapped[str | None] = mapped_column(String(320), default=None)
    subject: Mapped[str | None] = mapped_column(Text, default=None)
    body: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default=MessageStatus.QUEUED)
    provider_id: Mapped[str | None] = mapped_column(String(100), default=None)
    action_index: Mapped[int | None] = mapped_column(default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
