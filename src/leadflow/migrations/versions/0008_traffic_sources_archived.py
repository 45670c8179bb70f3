"""Traffic sources: archived instead of deleted; one source per publisher id per company

Revision ID: 0008
Revises: 0007

``archived_at`` marks a source its company no longer wants offered: it leaves lists and
pickers but keeps its row, so its leads and calls keep their attribution (deleting it set
their ``traffic_source_id`` to NULL). ``user_traffic_source_id`` is unique per company,
archived sources included, because intake resolves ``traffic_source_id=pub-1`` by it and an
archived source keeps attributing its publisher's links. Sources that already share an id keep
it on the oldest (the one intake resolved to); each later one gets ``-<its id>`` appended, so
the index can be built and nothing resolves differently.

``contact_events`` keeps each change of a number's suppression state (opted out, opted in,
blocked, unblocked) with its time, source and reason: an opt-out is lifted only by the
consumer (an SMS ``START``) or by an operator's explicit opt-in with a reason, and both stay
on record.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import leadflow.db.types

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "uq_traffic_sources_company_user_id"
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.execute(
        "UPDATE traffic_sources SET user_traffic_source_id = "
        "user_traffic_source_id || '-' || CAST(id AS VARCHAR(20)) "
        "WHERE user_traffic_source_id IS NOT NULL AND EXISTS (SELECT 1 FROM traffic_sources "
        "AS older WHERE older.company_id = traffic_sources.company_id "
        "AND older.user_traffic_source_id = traffic_sources.user_traffic_source_id "
        "AND older.id < traffic_sources.id)"
    )
    with op.batch_alter_table("traffic_sources", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("archived_at", leadflow.db.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(INDEX, ["company_id", "user_traffic_source_id"], unique=True)

    op.create_table(
        "contact_events",
        sa.Column("company_id", BIG_ID, nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("created_at", leadflow.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_contact_events_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_events")),
    )
    with op.batch_alter_table("contact_events", schema=None) as batch_op:
        batch_op.create_index("ix_contact_events_number", ["company_id", "number", "id"])


def downgrade() -> None:
    op.drop_table("contact_events")
    with op.batch_alter_table("traffic_sources", schema=None) as batch_op:
        batch_op.drop_index(INDEX)
        batch_op.drop_column("archived_at")
