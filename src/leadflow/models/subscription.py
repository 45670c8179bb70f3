from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from leadflow.db.types import JSONDict
from leadflow.models.base import Base, BigIntId, IdMixin, TimestampsMixin, UuidMixin


class Subscription(IdMixin, UuidMixin, TimestampsMixin, Base):
    """A webhook subscription: POST ``event`` to ``target_url`` when ``trigger_fields`` match."""

    __tablename__ = "subscriptions"

    company_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    target_url: Mapped[str] = mapped_column(String(2000))
    event: Mapped[str] = mapped_column(String(64))
    # {"schedule_id": 3, "traffic_source_id": 7}: every given field must equal the event's.
    trigger_fields: Mapped[dict[str, Any]] = mapped_column(JSONDict, default=dict)
    # The HMAC key for the signature header; shown once on create.
    secret: Mapped[str] = mapped_column(String(128))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
