"""per-company lead counts for total_count

Revision ID: 0003
Revises: 0002

A deep page of an unfiltered lead list reports ``total_count``; on SQLite counting a million
index entries takes longer than the page itself, so triggers keep the count per company. The
table exists on PostgreSQL too (the models are the same on both engines) but stays empty there:
PostgreSQL counts, because one hot counter row would serialise every writer of a company.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import leadflow.models.base

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "lead_counts",
        sa.Column("company_id", leadflow.models.base.BigIntId, nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_lead_counts_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("company_id", name=op.f("pk_lead_counts")),
    )
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(
        "INSERT INTO lead_counts (company_id, count) "
        "SELECT company_id, count(*) FROM leads GROUP BY company_id"
    )
    op.execute(
        "CREATE TRIGGER leads_count_insert AFTER INSERT ON leads BEGIN "
        "INSERT INTO lead_counts (company_id, count) VALUES (new.company_id, 1) "
        "ON CONFLICT (company_id) DO UPDATE SET count = count + 1; END"
    )
    op.execute(
        "CREATE TRIGGER leads_count_delete AFTER DELETE ON leads BEGIN "
        "UPDATE lead_counts SET count = count - 1 WHERE company_id = old.company_id; END"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS leads_count_insert")
        op.execute("DROP TRIGGER IF EXISTS leads_count_delete")
    op.drop_table("lead_counts")
