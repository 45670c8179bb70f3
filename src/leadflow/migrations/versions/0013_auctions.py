"""Ping/post auctions: one row per buyer per auction

Revision ID: 0013
Revises: 0008

``auction_bids`` keeps each buyer's part in an auction (its bid or why none, whether it won,
its post's outcome) so that bids, win rates and revenue per buyer are one query; the
submission's ``steps`` keep the full requests and answers.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import leadflow.db.types

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "auction_bids",
        sa.Column("company_id", BIG_ID, nullable=False),
        sa.Column("submission_id", BIG_ID, nullable=False),
        sa.Column("auction_campaign_id", BIG_ID, nullable=False),
        sa.Column("buyer_campaign_id", BIG_ID, nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("bid", sa.Float(), nullable=True),
        sa.Column("post_outcome", sa.String(length=16), nullable=True),
        sa.Column("won", sa.Boolean(), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("created_at", leadflow.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_auction_bids_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
            name=op.f("fk_auction_bids_submission_id_submissions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["auction_campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_auction_bids_auction_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["buyer_campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_auction_bids_buyer_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auction_bids")),
    )
    with op.batch_alter_table("auction_bids", schema=None) as batch_op:
        batch_op.create_index(
            "ix_auction_bids_buyer", ["company_id", "buyer_campaign_id", "created_at"]
        )
        batch_op.create_index("ix_auction_bids_submission", ["submission_id"])


def downgrade() -> None:
    op.drop_table("auction_bids")
