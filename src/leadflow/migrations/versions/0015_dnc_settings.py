"""Per-schedule do-not-call settings: which lists apply, and the exemptions

Revision ID: 0015
Revises: 0014

``schedules.dnc_settings`` holds the schedule's choices (``leadflow.dnc.policy.ScheduleDnc``);
``{}`` means every list applies and no exemption, which is what every schedule did before.
A campaign's settings live in its configuration document (``dnc``), so need no column.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("schedules", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "dnc_settings",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=False,
                server_default=sa.text("'{}'"),
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("schedules", schema=None) as batch_op:
        batch_op.drop_column("dnc_settings")
