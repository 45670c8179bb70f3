"""New leads are counted into the report counters by the worker, not in intake's transaction

Revision ID: 0022
Revises: 0021

A new lead's insert no longer writes the report counters. It adds its id to
``report_pending_leads``, and the worker (and any report, before it reads) folds the pending
leads into the counters in batches of thousands (``leadflow.reports.pending``): one upsert per
counter key per batch, where intake's transaction used to run one per key per group commit of
about 32 leads, with the roll-up and block triggers behind each. Intake's commit then writes
the leads and a few pending ids, not the counter, roll-up and block pages (``bench.reports
--intake-only``; docs/reports.md).

- SQLite: ``report_leads_insert`` (a lead inserted on its own) adds the lead's id instead of
  counting it; the batch insert does the same for its id range (``leads.repository``).
- PostgreSQL: ``report_leads_insert_statement`` adds the statement's ids instead of counting
  them, so two API processes' batches no longer wait on each other's counter rows.
- A pending lead has no counts of its own yet, so the triggers that move or take away a lead's
  own counts (``report_leads_move``, ``report_leads_opt_out``, ``report_leads_delete``) leave a
  pending lead's alone: the fold counts the lead as it then is. Their statements for the lead's
  calls and messages are unchanged. On PostgreSQL the check locks the lead's pending row
  (``report_lead_pending``), so a trigger and a concurrent fold take turns: the fold either
  counted the lead before the change (the trigger then moves it) or counts it after.
- ``report_leads_move`` fires only when an update sets one of the columns its key reads, not on
  every update (the worker's status changes): its condition read the tokens' JSON twice.

The statements to rewrite are the ones migration 0009 generated with the placeholder condition
``WHERE 1 = 1`` (the lead's own counts); each trigger's body stays otherwise as it stands.
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PLACEHOLDER = "WHERE 1 = 1"
OWN_COUNTS = {"report_leads_move": 2, "report_leads_opt_out": 1, "report_leads_delete": 1}
"""Each trigger that changes a lead's own counts, with how many statements do."""
KEY_COLUMNS = "company_id, schedule_id, offer_id, traffic_source_id, sub_id, created_at, tokens"
"""The columns a lead's counter key reads (``report_leads_move``'s condition)."""

SQLITE_NOT_PENDING = "WHERE NOT EXISTS (SELECT 1 FROM report_pending_leads WHERE lead_id = OLD.id)"
SQLITE_FORGET = "DELETE FROM report_pending_leads WHERE lead_id = OLD.id;\nEND"
SQLITE_INSERT = (
    "CREATE TRIGGER report_leads_insert AFTER INSERT ON leads "
    "WHEN NOT EXISTS (SELECT 1 FROM lead_batch_inserts) BEGIN "
    "INSERT INTO report_pending_leads (lead_id) VALUES (NEW.id); END"
)
SQLITE_MOVE_HEADER = re.compile(r"AFTER UPDATE ON leads", re.IGNORECASE)

PG_NOT_PENDING = "WHERE NOT report_lead_pending(OLD.id)"
PG_PENDING_FUNCTION = """
CREATE FUNCTION report_lead_pending(lead BIGINT) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    -- Locks the row: a fold that holds it is waited for, and then the row is gone.
    PERFORM 1 FROM report_pending_leads WHERE lead_id = lead FOR UPDATE;
    RETURN FOUND;
END $$"""
PG_FORGET = "DELETE FROM report_pending_leads WHERE lead_id = OLD.id;"
PG_INSERT_BODY = (
    "BEGIN\nINSERT INTO report_pending_leads (lead_id) SELECT id FROM new_leads;\nRETURN NULL;\nEND"
)


PENDING = "l.id IN (SELECT lead_id FROM report_pending_leads)"


def _replaced(name: str, text: str, new: str, expected: int) -> str:
    if text.count(PLACEHOLDER) != expected:
        raise RuntimeError(f"trigger {name} is not the one this migration expects")
    return text.replace(PLACEHOLDER, new)


def _sqlite_upgrade() -> None:
    op.execute("CREATE TABLE report_pending_leads (lead_id INTEGER NOT NULL PRIMARY KEY)")
    for name, expected in OWN_COUNTS.items():
        definition = _kept(name, "SELECT sql FROM sqlite_master WHERE name = :name")
        changed = _replaced(name, definition, SQLITE_NOT_PENDING, expected)
        if name == "report_leads_delete":
            changed = re.sub(r"END\s*$", SQLITE_FORGET, changed)
        if name == "report_leads_move":
            changed = SQLITE_MOVE_HEADER.sub(f"AFTER UPDATE OF {KEY_COLUMNS} ON leads", changed)
        op.execute(f"DROP TRIGGER {name}")
        op.execute(changed)
    _kept("report_leads_insert", "SELECT sql FROM sqlite_master WHERE name = :name")
    op.execute("DROP TRIGGER report_leads_insert")
    op.execute(SQLITE_INSERT)


def _postgres_upgrade() -> None:
    op.execute("CREATE TABLE report_pending_leads (lead_id BIGINT PRIMARY KEY)")
    op.execute(PG_PENDING_FUNCTION)
    function = "SELECT pg_get_functiondef(oid) FROM pg_proc WHERE proname = :name"
    for name, expected in OWN_COUNTS.items():
        definition = _kept(name, function)
        changed = _replaced(name, definition, PG_NOT_PENDING, expected)
        if name == "report_leads_delete":
            changed = changed.replace("RETURN OLD;", f"{PG_FORGET}\nRETURN OLD;")
        op.execute(changed)
    _kept("report_leads_insert_statement", function)
    op.execute(
        "CREATE OR REPLACE FUNCTION report_leads_insert_statement() RETURNS trigger "
        f"LANGUAGE plpgsql AS $$\n{PG_INSERT_BODY}\n$$"
    )
    trigger = _kept(
        "report_leads_move",
        "SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgname = :name",
        key="trigger report_leads_move",
    )
    op.execute("DROP TRIGGER report_leads_move ON leads")
    op.execute(trigger.replace("AFTER UPDATE ON", f"AFTER UPDATE OF {KEY_COLUMNS} ON", 1))


def _kept(name: str, query: str, key: str | None = None) -> str:
    """The definition ``query`` finds for ``name``, kept (as ``key``, else ``name``) for the
    downgrade to put back."""
    bind = op.get_bind()
    definition = str(bind.execute(sa.text(query), {"name": name}).scalar_one())
    bind.execute(
        sa.text("INSERT INTO report_definitions_before_0022 VALUES (:key, :definition)"),
        {"key": key or name, "definition": definition},
    )
    return definition


def upgrade() -> None:
    op.execute(
        "CREATE TABLE report_definitions_before_0022 (name VARCHAR(64) PRIMARY KEY, "
        "definition TEXT NOT NULL)"
    )
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_upgrade()
    else:
        _postgres_upgrade()


def downgrade() -> None:
    """Count the leads still pending, then put every definition back as it was."""
    from leadflow.reports.recount_sql import pending_lead_statements

    bind = op.get_bind()
    dialect = bind.dialect.name
    for statement in pending_lead_statements(dialect, PENDING):
        op.execute(statement)
    kept = bind.execute(
        sa.text("SELECT name, definition FROM report_definitions_before_0022")
    ).all()
    for name, definition in kept:
        if dialect == "sqlite":
            op.execute(f"DROP TRIGGER {name}")
        elif name.startswith("trigger "):
            op.execute(f"DROP TRIGGER {name.removeprefix('trigger ')} ON leads")
        op.execute(definition)
    if dialect != "sqlite":
        op.execute("DROP FUNCTION report_lead_pending(BIGINT)")
    op.execute("DROP TABLE report_pending_leads")
    op.execute("DROP TABLE report_definitions_before_0022")
