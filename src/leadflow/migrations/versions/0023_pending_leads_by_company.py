"""A report folds its own company's new leads only: ``report_pending_leads.company_id``

Revision ID: 0023
Revises: 0022

Before a report reads, it counts the new leads the worker has not counted yet
(``leadflow.reports.pending``). It counted every company's, up to 500,000 of them: one company
importing a million rows made every other company's report wait seconds, with SQLite's write
lock held all the while. A waiting lead now carries its company, indexed before its id, so a
report folds its own company's leads and no others'. The worker still folds everyone's, oldest
first.

- SQLite: ``report_leads_insert`` (a lead inserted on its own) writes the company with the id;
  the batch insert does the same (``leads.repository``).
- PostgreSQL: ``report_leads_insert_statement`` writes each new lead's company with its id.
- The leads waiting when this runs get their company from their lead.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
INDEX = "ix_report_pending_leads_company"

SQLITE_INSERT = (
    "CREATE TRIGGER report_leads_insert AFTER INSERT ON leads "
    "WHEN NOT EXISTS (SELECT 1 FROM lead_batch_inserts) BEGIN "
    "INSERT INTO report_pending_leads (lead_id{company}) VALUES (NEW.id{new_company}); END"
)
PG_INSERT = (
    "CREATE OR REPLACE FUNCTION report_leads_insert_statement() RETURNS trigger "
    "LANGUAGE plpgsql AS $$\nBEGIN\n"
    "INSERT INTO report_pending_leads (lead_id{company}) SELECT id{company} FROM new_leads;\n"
    "RETURN NULL;\nEND\n$$"
)


def _insert_triggers(with_company: bool) -> None:
    company = ", company_id" if with_company else ""
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER report_leads_insert")
        new_company = ", NEW.company_id" if with_company else ""
        op.execute(SQLITE_INSERT.format(company=company, new_company=new_company))
    else:
        op.execute(PG_INSERT.format(company=company))


def upgrade() -> None:
    # A default for the rows already there (SQLite adds no NOT NULL column without one),
    # replaced at once by each row's own company.
    op.add_column(
        "report_pending_leads",
        sa.Column("company_id", BIG_ID, nullable=False, server_default="0"),
    )
    op.execute(
        "UPDATE report_pending_leads SET company_id = "
        "coalesce((SELECT company_id FROM leads WHERE leads.id = lead_id), 0)"
    )
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column("report_pending_leads", "company_id", server_default=None)
    op.create_index(INDEX, "report_pending_leads", ["company_id", "lead_id"])
    _insert_triggers(with_company=True)


def downgrade() -> None:
    _insert_triggers(with_company=False)
    op.drop_index(INDEX, "report_pending_leads")
    op.drop_column("report_pending_leads", "company_id")
