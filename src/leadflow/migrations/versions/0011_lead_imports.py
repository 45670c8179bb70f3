"""Lead imports: a CSV file's progress and its rejected rows

Revision ID: 0011
Revises: 0008

``lead_imports`` keeps each import's file, mapping and progress; the progress is written in the
transaction of each batch of leads, so an import started again after a kill resumes exactly
after the last committed row. ``lead_import_errors`` keeps each rejected row with its number
and the API's message, for the errors CSV.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import leadflow.db.types

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "lead_imports",
        sa.Column("company_id", BIG_ID, nullable=False),
        sa.Column("lead_token", sa.String(length=100), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("path", sa.String(length=1000), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("mapping", sa.JSON(), nullable=False),
        sa.Column("encoding", sa.String(length=20), nullable=False),
        sa.Column("delimiter", sa.String(length=4), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("total_rows", sa.BigInteger(), nullable=True),
        sa.Column("rows_done", sa.BigInteger(), nullable=False),
        sa.Column("accepted", sa.BigInteger(), nullable=False),
        sa.Column("rejected", sa.BigInteger(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("finished_at", leadflow.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("created_at", leadflow.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", leadflow.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_lead_imports_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead_imports")),
        sa.UniqueConstraint("uuid", name=op.f("uq_lead_imports_uuid")),
    )
    with op.batch_alter_table("lead_imports", schema=None) as batch_op:
        batch_op.create_index("ix_lead_imports_company_fingerprint", ["company_id", "fingerprint"])
    op.create_table(
        "lead_import_errors",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("import_id", BIG_ID, nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("row_values", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["lead_imports.id"],
            name=op.f("fk_lead_import_errors_import_id_lead_imports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead_import_errors")),
    )
    with op.batch_alter_table("lead_import_errors", schema=None) as batch_op:
        batch_op.create_index("ix_lead_import_errors_import_row", ["import_id", "row_number"])


def downgrade() -> None:
    op.drop_table("lead_import_errors")
    op.drop_table("lead_imports")
