"""Request ids on leads: the worker's log lines for a lead carry the id of the post that made it

Revision ID: 0016
Revises: 0015

Nullable, no default and no index: leads made before, or by the worker and imports, have none,
and the id is only ever read with the lead's own row.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("leads") as batch:
        batch.add_column(sa.Column("request_id", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("leads") as batch:
        batch.drop_column("request_id")
