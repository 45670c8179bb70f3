"""Keeping SQLite's full-text index of leads: the new leads of a transaction, in one statement.

Migration 0006 explains why this is not a per-row trigger. Every Leadflow transaction that may
have written leads ends here, just before it commits: the group-commit batches (after their
units) and ORM sessions (from the engine's commit event). Rows some other program wrote are
picked up by the next Leadflow transaction. PostgreSQL keeps its own index: nothing to do.
"""

from __future__ import annotations

from typing import Any

from leadflow.db.statements import Sql
from leadflow.kit.fulltext import LEADS_FTS_SOURCE, LEADS_FTS_TABLE

INDEX_NEW_LEADS = (
    f"INSERT INTO {LEADS_FTS_TABLE} (rowid, caller_id, email, sub_id, token_values) "
    f"SELECT id, caller_id, email, sub_id, token_values FROM {LEADS_FTS_SOURCE} "
    f"WHERE id > coalesce((SELECT max(id) FROM {LEADS_FTS_TABLE}_docsize), 0)"
)


def index_new_leads(sql: Sql) -> None:
    """Index every lead above the highest id the index holds (ids only ever grow)."""
    if sql.dialect == "sqlite":
        sql.run(INDEX_NEW_LEADS)


def index_new_leads_before_commit(connection: Any) -> None:
    """The ORM's side: a SQLAlchemy ``commit`` event handler of the SQLite engine, which runs
    before the COMMIT it announces."""
    connection.exec_driver_sql(INDEX_NEW_LEADS)
