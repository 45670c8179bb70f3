"""Do-not-call lists: the current version of each shared list, and the record of each import

Revision ID: 0010
Revises: 0008

``dnc_lists`` names, for each shared list (``federal``, ``state:XX``, ``litigator``), the file
in ``LEADFLOW_DNC_DIR`` that holds its current version: an import writes a new file and then
switches this row in one transaction, so every process of every node sees the same version.
``dnc_imports`` keeps each import's date, row count and rejected rows with their reasons.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import leadflow.db.types

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "dnc_lists",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("numbers", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", leadflow.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_dnc_lists")),
    )
    op.create_table(
        "dnc_imports",
        sa.Column("list_name", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("source_name", sa.String(length=300), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("rows", sa.BigInteger(), nullable=False),
        sa.Column("rejected", sa.BigInteger(), nullable=False),
        sa.Column("numbers", sa.BigInteger(), nullable=False),
        sa.Column("rejects", JSON, nullable=False),
        sa.Column("switched", sa.Boolean(), nullable=False),
        sa.Column("started_at", leadflow.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", leadflow.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dnc_imports")),
    )
    with op.batch_alter_table("dnc_imports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dnc_imports_list_name"), ["list_name"], unique=False)


def downgrade() -> None:
    op.drop_table("dnc_imports")
    op.drop_table("dnc_lists")
