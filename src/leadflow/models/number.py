from __future__ import annotations

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from leadflow.db.types import JSONDict
from leadflow.models.base import Base, BigIntId, IdMixin, TimestampsMixin, UuidMixin

VOICE = "voice"
SMS = "sms"
CAPABILITIES = (VOICE, SMS)


class Number(IdMixin, UuidMixin, TimestampsMixin, Base):
    """One of the company's own phone numbers: the pool leads are assigned from."""

    __tablename__ = "numbers"
    __table_args__ = (UniqueConstraint("company_id", "number"),)

    company_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[str] = mapped_column(String(20))
    capabilities: Mapped[list[str]] = mapped_column(JSONDict, default=list)
