from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from leadflow.db.types import JSONDict
from leadflow.models.base import Base, BigIntId, IdMixin, TimestampsMixin, UuidMixin


class SubmissionStatus:
    """LeadSail's statuses, shared by submitted leads and their submissions."""

    NEW = "new"
    PENDING = "pending"
    PROCESSING = "processing"
    QUALIFIED = "qualified"
    DISQUALIFIED = "disqualified"
    QUEUED = "queued"
    PENDING_ACTION = "pending_action"
    DELIVERED = "delivered"
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    FAILED = "failed"
    ERROR = "error"
    REJECTED = "rejected"


class SubmittedLead(IdMixin, UuidMixin, TimestampsMixin, Base):
    """The person in the LeadSail dialect (``leadId`` is the uuid). Each trip through the
    pipeline is a :class:`Submission`; the lead's status is that of its latest submission."""

    __tablename__ = "submitted_leads"
    __table_args__ = (
        Index("ix_submitted_leads_company_id", "company_id", "id"),
        Index("ix_submitted_leads_campaign_phone", "campaign_id", "phone"),
        Index("ix_submitted_leads_campaign_email", "campaign_id", "email"),
    )

    company_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("companies.id", ondelete="CASCADE")
    )
    campaign_id: Mapped[int | None] = mapped_column(
        BigIntId, ForeignKey("campaigns.id", ondelete="SET NULL"), default=None
    )
    first_name: Mapped[str | None] = mapped_column(String(200), default=None)
    last_name: Mapped[str | None] = mapped_column(String(200), default=None)
    email: Mapped[str | None] = mapped_column(String(320), default=None)
    phone: Mapped[str | None] = mapped_column(String(20), default=None)
    status: Mapped[str] = mapped_column(String(32), default=SubmissionStatus.NEW)
    # approved | rejected | pending, set by POST /leads/{leadId}/approve.
    approval: Mapped[str | None] = mapped_column(String(16), default=None)
    approval_reason: Mapped[str | None] = mapped_column(Text, default=None)
    is_test: Mapped[bool] = mapped_column(Boolean, default=False)
    # The normalised request (camelCase keys as documented), what the pipeline reads.
    data: Mapped[dict[str, Any]] = mapped_column(JSONDict, default=dict)
    # Pixels already fired for this lead, for the fire-once option: ["qualified", ...].
    pixels_fired: Mapped[list[str]] = mapped_column(JSONDict, default=list)


class Submission(IdMixin, UuidMixin, TimestampsMixin, Base):
    """One trip of a lead through the pipeline, numbered per lead; records what each step
    decided so a buyer dispute can be answered from the row alone."""

    __tablename__ = "submissions"
    __table_args__ = (
        UniqueConstraint("lead_id", "number"),
        Index("ix_submissions_due", "status", "next_attempt_at"),
        Index("ix_submissions_campaign_delivered", "campaign_id", "delivered_at"),
    )

    company_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("companies.id", ondelete="CASCADE")
    )
    lead_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("submitted_leads.id", ondelete="CASCADE")
    )
    # The campaign it was submitted to; routing and fallbacks record where it went instead.
    campaign_id: Mapped[int | None] = mapped_column(
        BigIntId, ForeignKey("campaigns.id", ondelete="SET NULL"), default=None
    )
    number: Mapped[int] = mapped_column(Integer, default=1)
    # original | repost | manual
    type: Mapped[str] = mapped_column(String(16), default="original")
    status: Mapped[str] = mapped_column(String(32), default=SubmissionStatus.NEW)
    # The data this trip works on (the lead's, or a repost's modifiedPayload on top).
    data: Mapped[dict[str, Any]] = mapped_column(JSONDict, default=dict)
    # [{"step": "required_fields", "outcome": "passed", "detail": ...}, ...] in order.
    steps: Mapped[list[dict[str, Any]]] = mapped_column(JSONDict, default=list)
    qualification: Mapped[dict[str, Any]] = mapped_column(JSONDict, default=dict)
    routing: Mapped[dict[str, Any]] = mapped_column(JSONDict, default=dict)
    delivery: Mapped[dict[str, Any]] = mapped_column(JSONDict, default=dict)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # When the worker should (re)run it: now for new ones, cap reset or hours open for queued.
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=None)
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)
