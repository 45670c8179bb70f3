from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from leadflow.db.types import UTCDateTime
from leadflow.models.base import Base


class WorkerHeartbeat(Base):
    """One running worker process, as it last reported itself: every process beats here every
    few seconds, so ``/healthz`` in any API process (on any machine) can tell whether the
    schedules are being worked. A worker that stops in order deletes its row; one that dies
    leaves a row that goes stale and is pruned a day later."""

    __tablename__ = "worker_heartbeats"

    worker: Mapped[str] = mapped_column(String(255), primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    beat_at: Mapped[datetime] = mapped_column(UTCDateTime())
