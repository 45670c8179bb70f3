from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from leadflow.db.types import JSONDict
from leadflow.models.base import Base, BigIntId, IdMixin, TimestampsMixin


class ApiKey(IdMixin, TimestampsMixin, Base):
    """A company key pair. Only a hash of the private key is kept; it is shown once."""

    __tablename__ = "api_keys"

    company_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200), default="")
    public_key: Mapped[str] = mapped_column(String(64), unique=True)
    private_key_hash: Mapped[str] = mapped_column(String(128))
    # {"leads": ["read", "write"], ...}; "*" as a resource name covers every resource.
    permissions: Mapped[dict[str, Any]] = mapped_column(JSONDict, default=dict)
    ip_allowlist: Mapped[list[str]] = mapped_column(JSONDict, default=list)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
