from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from leadflow.models.base import Base, BigIntId, IdMixin, TimestampsMixin


class User(IdMixin, TimestampsMixin, Base):
    """A person who signs in to the web app; belongs to one company and sees only its rows."""

    __tablename__ = "users"

    company_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    # Stored lowercased, unique across companies: an e-mail names one login.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    last_login_at: Mapped[datetime | None] = mapped_column(default=None)
    # Set while the user may not sign in; the user and what they did are kept (unlike removal).
    disabled_at: Mapped[datetime | None] = mapped_column(default=None)
