from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from leadflow.models.base import Base, BigIntId

DIMENSION_COLUMNS = (
    "schedule_id",
    "offer_id",
    "traffic_source_id",
    "sub_id",
    "campaign_id",
    "buyer",
    "state",
)
"""The key after company and hour. A missing value is ``0`` or ``''``, never NULL: a unique
key holds NULLs as all different, so an upsert would never find its row."""

METRIC_COLUMNS = (
    "leads",
    "duplicates",
    "opt_outs",
    "calls",
    "connected_calls",
    "converted_calls",
    "sms",
    "emails",
    "revenue_cents",
    "payout_cents",
    "submissions",
    "submissions_delivered",
    "submissions_rejected",
    "submissions_disqualified",
    "submissions_duplicate",
    "submissions_error",
)


class ReportSums:
    """The metric columns, as every report table keeps them (:data:`METRIC_COLUMNS`)."""

    leads: Mapped[int] = mapped_column(BigInteger, default=0)
    duplicates: Mapped[int] = mapped_column(BigInteger, default=0)
    opt_outs: Mapped[int] = mapped_column(BigInteger, default=0)
    calls: Mapped[int] = mapped_column(BigInteger, default=0)
    connected_calls: Mapped[int] = mapped_column(BigInteger, default=0)
    converted_calls: Mapped[int] = mapped_column(BigInteger, default=0)
    sms: Mapped[int] = mapped_column(BigInteger, default=0)
    emails: Mapped[int] = mapped_column(BigInteger, default=0)
    revenue_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    payout_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    submissions: Mapped[int] = mapped_column(BigInteger, default=0)
    submissions_delivered: Mapped[int] = mapped_column(BigInteger, default=0)
    submissions_rejected: Mapped[int] = mapped_column(BigInteger, default=0)
    submissions_disqualified: Mapped[int] = mapped_column(BigInteger, default=0)
    submissions_duplicate: Mapped[int] = mapped_column(BigInteger, default=0)
    submissions_error: Mapped[int] = mapped_column(BigInteger, default=0)


class ReportCounter(ReportSums, Base):
    """Sums per company, UTC hour and attribution, kept by database triggers (migration 0009)
    in the transaction that writes the lead, call, message or submission, so a report reads
    a few thousand counter rows instead of scanning millions of leads (see docs/reports.md).
    ``buyer`` is the delivery URL a submission went to and ``state`` the raw state token;
    reports fold both (host, two-letter code) when they read."""

    __tablename__ = "report_counters"

    company_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True
    )
    hour: Mapped[datetime] = mapped_column(primary_key=True)
    schedule_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, default=0)
    offer_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, default=0)
    traffic_source_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, default=0)
    sub_id: Mapped[str] = mapped_column(String(200), primary_key=True, default="")
    campaign_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, default=0)
    buyer: Mapped[str] = mapped_column(String(300), primary_key=True, default="")
    state: Mapped[str] = mapped_column(String(64), primary_key=True, default="")


TOTAL_SLOTS = 8
"""Each company's hour is spread over this many ``report_totals`` rows (the slot is a function of
the counter row's attribution), so concurrent transactions on PostgreSQL rarely wait on one
row lock; a report sums the slots."""


class ReportTotal(ReportSums, Base):
    """The roll-up of ``report_counters`` per company and UTC hour (and slot), kept by triggers
    on ``report_counters`` itself (migration 0014): a time series with no attribution in it
    (``group_by=day`` over a quarter) reads 24 x 8 rows a day at most, whatever the number of
    leads, sources and sub IDs. Same metric columns as the counters."""

    __tablename__ = "report_totals"

    company_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True
    )
    hour: Mapped[datetime] = mapped_column(primary_key=True)
    slot: Mapped[int] = mapped_column(SmallInteger, primary_key=True, default=0)


SPAN_HOURS = tuple(4**level for level in range(1, 7))
"""The lengths of the blocks ``report_source_blocks`` keeps, 4 hours to 4,096 (170 days),
each four times the last: a counter change writes six block rows, and a range reads at most
three blocks of each length at each end."""


class ReportSourceBlock(ReportSums, Base):
    """The roll-up of ``report_counters`` per company, traffic source and sub ID over aligned
    blocks of hours: for each length in :data:`SPAN_HOURS`, the block of that many hours a
    counter's hour falls in (``first_hour`` a multiple of the length, in hours since the Unix
    epoch). Kept by triggers on ``report_counters`` (migration 0021).

    The question marketers ask most, what each source and sub ID brought over weeks
    (``group_by=traffic_source,sub_id``), reads any range of whole hours as a dozen or so
    blocks, each holding at most one row per sub ID, plus at most three hours at each end from
    the counters: a month in any zone is about fifteen blocks, where hourly counters are a row
    per hour, schedule, offer, state and sub ID. Same metric columns as the counters."""

    __tablename__ = "report_source_blocks"
    # SQLite: rows stored in key order, so a block is read in one sweep.
    __table_args__ = {"sqlite_with_rowid": False}

    company_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True
    )
    span_hours: Mapped[int] = mapped_column(Integer, primary_key=True)
    first_hour: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    traffic_source_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, default=0)
    sub_id: Mapped[str] = mapped_column(String(200), primary_key=True, default="")


class ReportPendingLead(Base):
    """A new lead not yet counted into the counters: the worker's fold, or the next report's,
    counts it and deletes this row in one transaction (``leadflow.reports.pending``)."""

    __tablename__ = "report_pending_leads"
    # A report folds its own company's leads only (migration 0023).
    __table_args__ = (Index("ix_report_pending_leads_company", "company_id", "lead_id"),)

    lead_id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=False)
    company_id: Mapped[int] = mapped_column(BigIntId)
