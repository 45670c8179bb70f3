from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from leadflow.db.types import JSONDict
from leadflow.models.base import Base, BigIntId, IdMixin, TimestampsMixin, UuidMixin


class LeadStatus:
    """TrackDrive's lead statuses. A lead is *live* until it reaches an ended status."""

    SCHEDULED = "scheduled"
    WAITING = "waiting"
    RUNNING = "running"
    QUEUE = "queue"
    CAPTURED = "captured"
    COMPLETED = "completed"
    COMPLETED_ATTEMPTED = "completed_attempted"
    COMPLETED_CONNECTED = "completed_connected"
    COMPLETED_CONVERTED = "completed_converted"
    EXCEEDED_MAX_CALLS = "exceeded_max_calls"
    EXPIRED = "expired"
    DNC = "dnc"
    FAILURE = "failure"
    DISABLED = "disabled"
    BLOCKED = "blocked"
    OPT_OUT = "opt_out"

    LIVE = frozenset({SCHEDULED, WAITING, RUNNING, QUEUE, CAPTURED})

    HUMAN = {
        SCHEDULED: "Scheduled",
        WAITING: "Waiting",
        RUNNING: "Running",
        QUEUE: "In Queue",
        CAPTURED: "Captured",
        COMPLETED: "Completed",
        COMPLETED_ATTEMPTED: "Completed (attempted)",
        COMPLETED_CONNECTED: "Completed (connected)",
        COMPLETED_CONVERTED: "Completed (converted)",
        EXCEEDED_MAX_CALLS: "Exceeded Max Calls",
        EXPIRED: "Expired",
        DNC: "Do Not Call",
        FAILURE: "Failure",
        DISABLED: "Removed",
        BLOCKED: "Blocked",
        OPT_OUT: "Opted Out",
    }


class Lead(IdMixin, UuidMixin, TimestampsMixin, Base):
    """A person's enrolment in one schedule, or data stored on one offer."""

    __tablename__ = "leads"
    __table_args__ = (
        Index("ix_leads_company_created", "company_id", "created_at"),
        Index("ix_leads_owner_caller", "company_id", "offer_id", "schedule_id", "caller_id"),
        Index("ix_leads_company_caller", "company_id", "caller_id"),
        Index("ix_leads_schedule_due", "schedule_id", "next_action_at"),
        # A deleted lead's id is never given to another: webhooks and calls refer to ids.
        {"sqlite_autoincrement": True},
    )

    company_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("companies.id", ondelete="CASCADE")
    )
    offer_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("offers.id", ondelete="CASCADE"))
    schedule_id: Mapped[int | None] = mapped_column(
        BigIntId, ForeignKey("schedules.id", ondelete="SET NULL"), default=None
    )
    traffic_source_id: Mapped[int | None] = mapped_column(
        BigIntId, ForeignKey("traffic_sources.id", ondelete="SET NULL"), default=None
    )
    caller_id: Mapped[str | None] = mapped_column(String(20), default=None)
    email: Mapped[str | None] = mapped_column(String(320), default=None)
    sub_id: Mapped[str | None] = mapped_column(String(200), default=None)
    contact_field_type: Mapped[str | None] = mapped_column(String(100), default=None)
    remote_ip: Mapped[str | None] = mapped_column(String(64), default=None)
    status: Mapped[str] = mapped_column(String(32), default=LeadStatus.SCHEDULED)
    tokens: Mapped[dict[str, Any]] = mapped_column(JSONDict, default=dict)
    lead_priority: Mapped[int | None] = mapped_column(Integer, default=None)
    action_index: Mapped[int] = mapped_column(Integer, default=0)
    next_action_at: Mapped[datetime | None] = mapped_column(default=None)
    contact_attempts: Mapped[int] = mapped_column(Integer, default=0)
    calls_placed: Mapped[int] = mapped_column(Integer, default=0)
    calls_connected: Mapped[int] = mapped_column(Integer, default=0)
    max_contact_attempts: Mapped[int | None] = mapped_column(Integer, default=None)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    schedule_callback_at: Mapped[datetime | None] = mapped_column(default=None)
    trackdrive_number_id: Mapped[int | None] = mapped_column(
        BigIntId, ForeignKey("numbers.id", ondelete="SET NULL"), default=None
    )
    sms_number_id: Mapped[int | None] = mapped_column(
        BigIntId, ForeignKey("numbers.id", ondelete="SET NULL"), default=None
    )
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
    request_id: Mapped[str | None] = mapped_column(String(64), default=None)
    """The id of the API request that created the lead (``ops.request_id``), which the
    worker's log lines for the lead carry."""
