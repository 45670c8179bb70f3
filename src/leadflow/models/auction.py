from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from leadflow.db.types import UTCDateTime
from leadflow.models.base import Base, BigIntId, IdMixin


class AuctionBid(IdMixin, Base):
    """One buyer's part in one ping/post auction: what it bid (or why not), whether it won,
    and what its post came to. The submission's ``steps`` hold the full requests and
    answers; this row is what reports count (bids, win rate and revenue per buyer) without
    reading every submission's JSON."""

    __tablename__ = "auction_bids"
    __table_args__ = (
        Index("ix_auction_bids_buyer", "company_id", "buyer_campaign_id", "created_at"),
        Index("ix_auction_bids_submission", "submission_id"),
    )

    company_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("companies.id", ondelete="CASCADE")
    )
    submission_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("submissions.id", ondelete="CASCADE")
    )
    auction_campaign_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("campaigns.id", ondelete="CASCADE")
    )
    buyer_campaign_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("campaigns.id", ondelete="CASCADE")
    )
    outcome: Mapped[str] = mapped_column(String(16))
    """The ping's: bid, fixed_price, no_bid, below_floor, timeout, late, error, refused."""
    bid: Mapped[float | None] = mapped_column(Float, default=None)
    post_outcome: Mapped[str | None] = mapped_column(String(16), default=None)
    """accepted, rejected, duplicate or error when the lead was posted to this buyer."""
    won: Mapped[bool] = mapped_column(Boolean, default=False)
    """The buyer took the lead: ``bid`` is the revenue."""
    duration_ms: Mapped[int | None] = mapped_column(Integer, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
