"""full-text search over leads

Revision ID: 0002
Revises: 0001

``GET /api/v1/leads?fulltext=`` must stay fast at a million leads, so it reads an index kept by
the database itself, whichever process writes the lead (the intake path writes plain SQL):

- SQLite: an FTS5 table over a view of each lead's caller ID, e-mail, sub_id and token values
  (the view is its external content: the text is not stored twice), kept by triggers. Updates
  that touch none of those columns (status, next action) leave the index alone.
- PostgreSQL: a pg_trgm GIN index on an immutable function of the same values, so any
  substring (``ILIKE '%x%'``) is answered from the index.

The object names are repeated in ``leadflow.kit.fulltext``, which queries them.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _token_values(row: str) -> str:
    """SQL for the space-separated token values of ``new`` or ``old``; a lead whose tokens
    are not valid JSON is indexed without them rather than failing its write."""
    return (
        "(SELECT group_concat(value, ' ') FROM json_each("
        f"CASE WHEN json_valid({row}.tokens) THEN {row}.tokens ELSE '{{}}' END))"
    )


def _fts_row(row: str) -> str:
    return f"{row}.id, {row}.caller_id, {row}.email, {row}.sub_id, {_token_values(row)}"


SQLITE_UPGRADE = [
    f"""
    CREATE VIEW leads_fts_source AS
    SELECT id, caller_id, email, sub_id, {_token_values("leads")} AS token_values FROM leads
    """,
    """
    CREATE VIRTUAL TABLE leads_fts USING fts5(
        caller_id, email, sub_id, token_values,
        content='leads_fts_source', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2'
    )
    """,
    f"""
    CREATE TRIGGER leads_fts_insert AFTER INSERT ON leads BEGIN
        INSERT INTO leads_fts (rowid, caller_id, email, sub_id, token_values)
        VALUES ({_fts_row("new")});
    END
    """,
    f"""
    CREATE TRIGGER leads_fts_delete AFTER DELETE ON leads BEGIN
        INSERT INTO leads_fts (leads_fts, rowid, caller_id, email, sub_id, token_values)
        VALUES ('delete', {_fts_row("old")});
    END
    """,
    f"""
    CREATE TRIGGER leads_fts_update AFTER UPDATE OF caller_id, email, sub_id, tokens ON leads
    BEGIN
        INSERT INTO leads_fts (leads_fts, rowid, caller_id, email, sub_id, token_values)
        VALUES ('delete', {_fts_row("old")});
        INSERT INTO leads_fts (rowid, caller_id, email, sub_id, token_values)
        VALUES ({_fts_row("new")});
    END
    """,
    # FTS5's own 'rebuild' cannot read a view that calls json_each, so the rows already
    # there are indexed by hand (after 'delete-all', the same statement rebuilds the index).
    """
    INSERT INTO leads_fts (rowid, caller_id, email, sub_id, token_values)
    SELECT id, caller_id, email, sub_id, token_values FROM leads_fts_source
    """,
]

SQLITE_DOWNGRADE = [
    "DROP TRIGGER IF EXISTS leads_fts_update",
    "DROP TRIGGER IF EXISTS leads_fts_delete",
    "DROP TRIGGER IF EXISTS leads_fts_insert",
    "DROP TABLE IF EXISTS leads_fts",
    "DROP VIEW IF EXISTS leads_fts_source",
]

POSTGRES_UPGRADE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    # IMMUTABLE (true: it reads only its arguments) so that an index may be built on it;
    # written with || and coalesce, which are immutable, where concat_ws is not.
    """
    CREATE FUNCTION lead_search_text(caller_id text, email text, sub_id text, tokens jsonb)
    RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT coalesce(caller_id, '') || ' ' || coalesce(email, '') || ' '
            || coalesce(sub_id, '') || ' '
            || coalesce(jsonb_path_query_array(tokens, '$.*')::text, '')
    $$
    """,
    """
    CREATE INDEX ix_leads_search_trgm ON leads
    USING gin (lead_search_text(caller_id, email, sub_id, tokens) gin_trgm_ops)
    """,
]

POSTGRES_DOWNGRADE = [
    "DROP INDEX IF EXISTS ix_leads_search_trgm",
    "DROP FUNCTION IF EXISTS lead_search_text(text, text, text, jsonb)",
]


def _require_pg_trgm() -> None:
    available = op.get_bind().exec_driver_sql(
        "SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'"
    )
    if available.first() is None:
        raise RuntimeError(
            "lead search needs PostgreSQL's pg_trgm extension: install the server's contrib "
            "package (Debian's postgresql package ships it) and run the upgrade again"
        )


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        _require_pg_trgm()
        statements = POSTGRES_UPGRADE
    else:
        statements = SQLITE_UPGRADE
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in POSTGRES_DOWNGRADE if dialect == "postgresql" else SQLITE_DOWNGRADE:
        op.execute(statement)
