from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from leadflow.models.base import Base, IdMixin, TimestampsMixin


class Company(IdMixin, TimestampsMixin, Base):
    """The tenant: every other row belongs to exactly one company."""

    __tablename__ = "companies"

    name: Mapped[str] = mapped_column(String(200))
    default_region: Mapped[str] = mapped_column(String(2), default="US")
    time_zone: Mapped[str] = mapped_column(String(64), default="America/New_York")
    calls_per_second: Mapped[int] = mapped_column(Integer, default=10)
