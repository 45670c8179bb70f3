from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from leadflow.models.base import Base, IdMixin


class SignInFailure(IdMixin, Base):
    """A failed (or still undecided) web sign-in, counted against an account or an address.

    Kept in the database, not in a process, so that the throttle holds across every API
    process. A row is written before the password is checked (so that a burst of parallel
    guesses sees itself) and removed again when the sign-in succeeds or is refused unchecked.
    Rows older than the throttle window no longer count and are pruned.
    """

    __tablename__ = "sign_in_failures"
    __table_args__ = (
        Index("ix_sign_in_failures_subject", "scope", "subject", "failed_at"),
        Index("ix_sign_in_failures_failed_at", "failed_at"),
    )

    # "account" (subject: the e-mail as typed, normalised) or "address" (subject: the client IP).
    scope: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(320))
    failed_at: Mapped[datetime]
