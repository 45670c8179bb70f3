"""SQLite: new leads enter the full-text index once per transaction, not once per row

Revision ID: 0006
Revises: 0005

Migration 0002 indexed each new lead from an insert trigger. FTS5 costs about three times as
much per row that way as indexing the transaction's new leads in one statement at its end (on
the lead intake path, some 20 µs of the 60 it took to store a lead). So the insert trigger is
gone, and every Leadflow transaction that may have written leads ends with that statement
(``leadflow.db.search_index``): the group-commit batches and ORM sessions alike, so a lead is
searchable as soon as it is committed. A row written by some other program is indexed by the
next Leadflow transaction.

Leads get ever larger ids (AUTOINCREMENT), so "new" is every lead above the highest id in
FTS5's own per-row table (``leads_fts_docsize``). The update and delete triggers now act only
on rows the index holds: telling FTS5 to delete terms it never indexed would corrupt it, and a
row not yet indexed is indexed with its latest values anyway. PostgreSQL's index (pg_trgm) is
kept by PostgreSQL itself: nothing changes there.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _token_values(row: str) -> str:
    return (
        "(SELECT group_concat(value, ' ') FROM json_each("
        f"CASE WHEN json_valid({row}.tokens) THEN {row}.tokens ELSE '{{}}' END))"
    )


def _fts_row(row: str) -> str:
    return f"{row}.id, {row}.caller_id, {row}.email, {row}.sub_id, {_token_values(row)}"


_INDEXED = "EXISTS (SELECT 1 FROM leads_fts_docsize WHERE id = old.id)"
_OLD_TRIGGERS = ["leads_fts_insert", "leads_fts_delete", "leads_fts_update"]


def _delete_trigger(when: str) -> str:
    return f"""
    CREATE TRIGGER leads_fts_delete AFTER DELETE ON leads {when} BEGIN
        INSERT INTO leads_fts (leads_fts, rowid, caller_id, email, sub_id, token_values)
        VALUES ('delete', {_fts_row("old")});
    END
    """


def _update_trigger(when: str) -> str:
    return f"""
    CREATE TRIGGER leads_fts_update AFTER UPDATE OF caller_id, email, sub_id, tokens ON leads
    {when}
    BEGIN
        INSERT INTO leads_fts (leads_fts, rowid, caller_id, email, sub_id, token_values)
        VALUES ('delete', {_fts_row("old")});
        INSERT INTO leads_fts (rowid, caller_id, email, sub_id, token_values)
        VALUES ({_fts_row("new")});
    END
    """


SQLITE_UPGRADE = [
    *(f"DROP TRIGGER {name}" for name in _OLD_TRIGGERS),
    _delete_trigger(f"WHEN {_INDEXED}"),
    _update_trigger(f"WHEN {_INDEXED}"),
]

SQLITE_DOWNGRADE = [
    *(f"DROP TRIGGER {name}" for name in _OLD_TRIGGERS[1:]),
    # Whatever is still waiting to be indexed, before the per-row trigger takes over again.
    """
    INSERT INTO leads_fts (rowid, caller_id, email, sub_id, token_values)
    SELECT id, caller_id, email, sub_id, token_values FROM leads_fts_source
    WHERE id > coalesce((SELECT max(id) FROM leads_fts_docsize), 0)
    """,
    f"""
    CREATE TRIGGER leads_fts_insert AFTER INSERT ON leads BEGIN
        INSERT INTO leads_fts (rowid, caller_id, email, sub_id, token_values)
        VALUES ({_fts_row("new")});
    END
    """,
    _delete_trigger(""),
    _update_trigger(""),
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_UPGRADE:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_DOWNGRADE:
            op.execute(statement)
