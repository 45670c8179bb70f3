from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from leadflow.db.types import JSONDict, UTCDateTime
from leadflow.models.base import Base, BigIntId, IdMixin


class CallEvent(IdMixin, Base):
    """One step of a call's status history (queued, ringing, answered, completed ...)."""

    __tablename__ = "call_events"
    __table_args__ = (Index("ix_call_events_call", "call_id", "id"),)

    company_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("companies.id", ondelete="CASCADE")
    )
    call_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("calls.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSONDict, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
