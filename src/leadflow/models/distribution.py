from __future__ import annotations

from typing import Any

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from leadflow.db.types import JSONDict
from leadflow.models.base import Base, BigIntId, IdMixin, TimestampsMixin, UuidMixin


class Distribution(IdMixin, UuidMixin, TimestampsMixin, Base):
    """One branch of a router (``lead_distribution``) schedule: conditions → target schedule."""

    __tablename__ = "distributions"

    company_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    schedule_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("schedules.id", ondelete="CASCADE"), index=True
    )
    target_schedule_id: Mapped[int] = mapped_column(
        BigIntId, ForeignKey("schedules.id", ondelete="CASCADE")
    )
    name: Mapped[str] = mapped_column(String(200), default="")
    priority: Mapped[int] = mapped_column(Integer, default=0)
    weight: Mapped[int] = mapped_column(Integer, default=1)
    # [{"field": "traffic_source_id", "operator": "equals", "value": 7}, ...]
    conditions: Mapped[list[dict[str, Any]]] = mapped_column(JSONDict, default=list)
