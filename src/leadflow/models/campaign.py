from __future__ import annotations

from typing import Any

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from leadflow.db.types import JSONDict
from leadflow.models.base import Base, BigIntId, IdMixin, TimestampsMixin, UuidMixin


class CampaignStatus:
    ACTIVE = "active"
    INACTIVE = "inactive"
    ARCHIVED = "archived"

    ALL = (ACTIVE, INACTIVE, ARCHIVED)


class Campaign(IdMixin, UuidMixin, TimestampsMixin, Base):
    """A buyer's campaign on the submission side (LeadSail dialect).

    The columns are what queries filter on; the rest of the configuration (routing and
    disqualification rules, dynamic keys, required fields, field qualification, the delivery
    endpoint and payload tree, caps, hours, fallbacks, webhooks, pixels, the first-submission
    action) is one JSON document, validated as a whole by the campaign schemas on every save.
    """

    __tablename__ = "campaigns"
    __table_args__ = (UniqueConstraint("company_id", "code"),)

    company_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    code: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=CampaignStatus.ACTIVE)
    time_zone: Mapped[str] = mapped_column(String(64), default="America/New_York")
    # Days within which the same phone or e-mail is a duplicate; 0 turns detection off.
    duplicate_window_days: Mapped[int] = mapped_column(Integer, default=30)
    config: Mapped[dict[str, Any]] = mapped_column(JSONDict, default=dict)


class FieldLabel(IdMixin, TimestampsMixin, Base):
    """The company's field library: a questionnaire key and the label people read."""

    __tablename__ = "field_labels"
    __table_args__ = (UniqueConstraint("company_id", "key"),)

    company_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("companies.id", ondelete="CASCADE")
    )
    key: Mapped[str] = mapped_column(String(200))
    label: Mapped[str] = mapped_column(String(500))
