"""Operations: worker heartbeats, for /healthz and `leadflow status`

Revision ID: 0012
Revises: 0008

Every worker process upserts its row every few seconds; an API process on any machine reads
them to say whether the schedules are being worked.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import leadflow.db.types

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "worker_heartbeats",
        sa.Column("worker", sa.String(length=255), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", leadflow.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("beat_at", leadflow.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("worker", name=op.f("pk_worker_heartbeats")),
    )


def downgrade() -> None:
    op.drop_table("worker_heartbeats")
