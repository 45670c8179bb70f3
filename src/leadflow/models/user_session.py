from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from leadflow.models.base import Base, BigIntId, IdMixin


class UserSession(IdMixin, Base):
    """One sign-in to the web app, kept server-side so that it can be ended.

    The cookie carries a random token; only its SHA-256 is stored, so a copy of the table
    signs nobody in. A session counts while ``revoked_at`` is empty and ``expires_at`` is
    ahead: logout, a password change and removing the user set ``revoked_at``.
    """

    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
