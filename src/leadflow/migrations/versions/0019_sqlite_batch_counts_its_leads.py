"""SQLite: a batch of new leads is counted once, by key, rather than by a trigger per row

Revision ID: 0019
Revises: 0018

On SQLite every lead's insert ran two ``AFTER INSERT`` triggers: ``report_leads_insert``
(migration 0009: two upserts into ``report_counters``, each reading the tokens' JSON) and
``leads_count_insert`` (migration 0003: the company's lead count). On 64-lead batches (20
states, one hour; ``bench.batch_counting``) they were most of what inserting a lead cost: 40 µs
a lead with them, 11 µs without, 27 µs with the batch counting its leads itself.

SQLite has no statement triggers (PostgreSQL's were made per statement in 0018). Instead, code
that inserts a batch of leads (``leads.repository.insert_leads``: intake's group commit and CSV
imports) adds a row to ``lead_batch_inserts`` before its inserts, counts the batch's ids with
one ``GROUP BY`` upsert per counter and removes the row, all in its own transaction. Both
triggers now fire only while that table is empty, so every other insert (a lead posted alone,
the ORM, a tool) is counted by them as before. The guard is a row's presence rather than a flag
row's value so that the state with no row, whatever happens to the table, is the one that
counts each insert.

PostgreSQL: nothing changes (0018 already counts per statement); the table is not made there.
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TRIGGERS = ("report_leads_insert", "leads_count_insert")
HEADER = re.compile(r"AFTER INSERT ON leads\s+BEGIN", re.IGNORECASE)
GUARDED = "AFTER INSERT ON leads WHEN NOT EXISTS (SELECT 1 FROM lead_batch_inserts) BEGIN"
GUARDED_HEADER = re.compile(
    r"AFTER INSERT ON leads WHEN NOT EXISTS \(SELECT 1 FROM lead_batch_inserts\) BEGIN"
)


def _recreate(name: str, rewrite: re.Pattern[str], header: str) -> None:
    """The trigger as it stands, with its header replaced: its body stays whatever the
    migrations before made it."""
    found = op.get_bind().execute(
        sa.text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = :name"),
        {"name": name},
    )
    definition = found.scalar_one()
    changed, count = rewrite.subn(header, definition, count=1)
    if count != 1:
        raise RuntimeError(f"trigger {name} is not the one this migration expects")
    op.execute(f"DROP TRIGGER {name}")
    op.execute(changed)


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.create_table("lead_batch_inserts", sa.Column("first_id", sa.Integer(), nullable=False))
    for name in TRIGGERS:
        _recreate(name, HEADER, GUARDED)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for name in TRIGGERS:
        _recreate(name, GUARDED_HEADER, "AFTER INSERT ON leads BEGIN")
    op.drop_table("lead_batch_inserts")
