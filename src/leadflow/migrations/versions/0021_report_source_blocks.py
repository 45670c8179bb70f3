"""Report roll-up by traffic source and sub ID over aligned blocks of hours:
``report_source_blocks``

Revision ID: 0021
Revises: 0020

``group_by=traffic_source,sub_id`` over 30 days read every counter row of the range: one per
hour, schedule, offer, traffic source, sub ID and state that had a lead, about as many rows as
leads at 10 million leads (``bench.reports``: 27 s). ``report_source_blocks`` keeps the same
metrics per company, traffic source and sub ID over blocks of 4, 16, 64, 256, 1,024 and 4,096
hours, each block aligned to a multiple of its length (in hours since the Unix epoch). Any
range of whole hours is then at most three blocks of each length at each end, largest first,
plus at most three hours at each end, which the counters answer: a month in New York's zone
reads about fifteen blocks of at most one row per sub ID. Lengths that double rather than
quadruple would read a third fewer rows and write twice as many block rows per counter
change (twelve, not six) on intake's hot path. A day rather than blocks would still read 30 rows per sub ID, and the hours between
the company's midnight and UTC's from the counters.

It is fed by triggers on ``report_counters``, as ``report_totals`` is (migrations 0014 and
0018), so every path that counts a fact rolls it up in the same transaction: on SQLite row
triggers (one upsert over the six lengths); on PostgreSQL one upsert per statement over
its transition tables, in key order so that two transactions lock the rows they share in the
same order. A counter row's key never changes, so an update adds ``NEW - OLD`` to its blocks;
a deleted counter (a rebuild, a company deleted) takes its sums away from blocks still there.
On SQLite the table is ``WITHOUT ROWID``: a block's rows are stored together, in key order.
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
SPAN_HOURS = tuple(4**level for level in range(1, 7))
KEY = ("company_id", "span_hours", "first_hour", "traffic_source_id", "sub_id")
METRICS = (
    "leads",
    "duplicates",
    "opt_outs",
    "calls",
    "connected_calls",
    "converted_calls",
    "sms",
    "emails",
    "revenue_cents",
    "payout_cents",
    "submissions",
    "submissions_delivered",
    "submissions_rejected",
    "submissions_disqualified",
    "submissions_duplicate",
    "submissions_error",
)
SPANS_SQLITE = f"(VALUES {', '.join(f'({n})' for n in SPAN_HOURS)}) AS spans"
SPANS_PG = f"(VALUES {', '.join(f'({n})' for n in SPAN_HOURS)}) AS spans (column1)"


def hour_number(row: str, pg: bool) -> str:
    """A counter row's hour as hours since the Unix epoch."""
    if pg:
        return f"(floor(extract(epoch FROM {row}.hour) / 3600)::bigint)"
    return f"(CAST(strftime('%s', {row}.hour) AS INTEGER) / 3600)"


def _sets() -> str:
    return ", ".join(f"{m} = report_source_blocks.{m} + excluded.{m}" for m in METRICS)


def _conflict() -> str:
    return f"ON CONFLICT ({', '.join(KEY)}) DO UPDATE SET {_sets()}"


def sqlite_add(values: Sequence[str]) -> str:
    """NEW's sums (``values``) added to its twelve blocks, in one statement."""
    hour = hour_number("NEW", False)
    return (
        f"INSERT INTO report_source_blocks ({', '.join((*KEY, *METRICS))}) "
        f"SELECT NEW.company_id, spans.column1, ({hour} / spans.column1) * spans.column1, "
        f"NEW.traffic_source_id, NEW.sub_id, {', '.join(values)} FROM {SPANS_SQLITE} "
        f"WHERE true {_conflict()}"
    )


def sqlite_take_away() -> list[str]:
    """OLD's sums taken from its blocks, one plain UPDATE each (a seek by the whole key): when
    a company is deleted, its blocks may be gone already."""
    hour = hour_number("OLD", False)
    sets = ", ".join(f"{m} = {m} - OLD.{m}" for m in METRICS)
    return [
        f"UPDATE report_source_blocks SET {sets} WHERE company_id = OLD.company_id "
        f"AND span_hours = {span} AND first_hour = ({hour} / {span}) * {span} "
        f"AND traffic_source_id = OLD.traffic_source_id AND sub_id = OLD.sub_id"
        for span in SPAN_HOURS
    ]


def sqlite_triggers() -> list[tuple[str, str, str, list[str]]]:
    """(name, event, WHEN clause, statements) of each trigger on SQLite."""
    return [
        ("report_source_blocks_insert", "INSERT", "", [sqlite_add([f"NEW.{m}" for m in METRICS])]),
        (
            "report_source_blocks_update",
            "UPDATE",
            "",
            [sqlite_add([f"NEW.{m} - OLD.{m}" for m in METRICS])],
        ),
        (
            "report_source_blocks_delete",
            "DELETE",
            # A rebuild clears the company's blocks first: its counters then go one seek each.
            "WHEN EXISTS (SELECT 1 FROM report_source_blocks WHERE company_id = OLD.company_id)",
            sqlite_take_away(),
        ),
    ]


def pg_blocks(rows: str) -> str:
    """``rows`` (company, hour number, source, sub ID and the metrics) summed into their blocks:
    SELECT of the key and the sums, grouped and in key order."""
    sums = ", ".join(f"sum({m})::bigint AS {m}" for m in METRICS)
    return (
        f"SELECT company_id, spans.column1 AS span_hours, "
        f"(hour_number / spans.column1) * spans.column1 AS first_hour, traffic_source_id, "
        f"sub_id, {sums} FROM ({rows}) AS changed CROSS JOIN {SPANS_PG} "
        f"GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5"
    )


def pg_counters(table: str, sign: str = "") -> str:
    values = ", ".join(f"{sign}c.{m} AS {m}" for m in METRICS)
    return (
        f"SELECT c.company_id, {hour_number('c', True)} AS hour_number, c.traffic_source_id, "
        f"c.sub_id, {values} FROM {table} c"
    )


def pg_added(rows: str) -> str:
    return (
        f"INSERT INTO report_source_blocks ({', '.join((*KEY, *METRICS))}) "
        f"{pg_blocks(rows)} {_conflict()}"
    )


def pg_taken_away() -> str:
    sets = ", ".join(f"{m} = b.{m} - gone.{m}" for m in METRICS)
    matched = " AND ".join(f"b.{k} = gone.{k}" for k in KEY)
    return (
        f"UPDATE report_source_blocks AS b SET {sets} "
        f"FROM ({pg_blocks(pg_counters('old_counters'))}) AS gone WHERE {matched}"
    )


def pg_triggers() -> list[tuple[str, str, str, str]]:
    """(name, event, REFERENCING clause, body) of each statement trigger on PostgreSQL."""
    return [
        (
            "report_source_blocks_insert",
            "INSERT",
            "NEW TABLE AS new_counters",
            pg_added(pg_counters("new_counters")),
        ),
        (
            "report_source_blocks_update",
            "UPDATE",
            "OLD TABLE AS old_counters NEW TABLE AS new_counters",
            pg_added(f"{pg_counters('new_counters')} UNION ALL {pg_counters('old_counters', '-')}"),
        ),
        ("report_source_blocks_delete", "DELETE", "OLD TABLE AS old_counters", pg_taken_away()),
    ]


def upgrade() -> None:
    metrics: list[sa.Column[Any]] = [
        sa.Column(name, sa.BigInteger(), nullable=False, server_default="0") for name in METRICS
    ]
    op.create_table(
        "report_source_blocks",
        sa.Column("company_id", BIG_ID, nullable=False),
        sa.Column("span_hours", sa.Integer(), nullable=False),
        sa.Column("first_hour", sa.BigInteger(), nullable=False),
        sa.Column("traffic_source_id", sa.BigInteger(), nullable=False),
        sa.Column("sub_id", sa.String(length=200), nullable=False),
        *metrics,
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_report_source_blocks_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(*KEY, name=op.f("pk_report_source_blocks")),
        sqlite_with_rowid=False,
    )
    pg = op.get_bind().dialect.name == "postgresql"
    if pg:
        for name, event, referencing, body in pg_triggers():
            op.execute(
                f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
                f"BEGIN\n{body};\nRETURN NULL;\nEND $$"
            )
            op.execute(
                f"CREATE TRIGGER {name} AFTER {event} ON report_counters "
                f"REFERENCING {referencing} FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
            )
        op.execute(
            f"INSERT INTO report_source_blocks ({', '.join((*KEY, *METRICS))}) "
            f"{pg_blocks(pg_counters('report_counters'))}"
        )
        return
    for name, event, when, statements in sqlite_triggers():
        body = "; ".join(statements)
        op.execute(
            f"CREATE TRIGGER {name} AFTER {event} ON report_counters {when} BEGIN {body}; END"
        )
    hour = "(CAST(strftime('%s', c.hour) AS INTEGER) / 3600)"
    sums = ", ".join(f"sum(c.{m})" for m in METRICS)
    op.execute(
        f"INSERT INTO report_source_blocks ({', '.join((*KEY, *METRICS))}) "
        f"SELECT c.company_id, spans.column1, ({hour} / spans.column1) * spans.column1, "
        f"c.traffic_source_id, c.sub_id, {sums} FROM report_counters c, {SPANS_SQLITE} "
        f"GROUP BY 1, 2, 3, 4, 5"
    )


def downgrade() -> None:
    pg = op.get_bind().dialect.name == "postgresql"
    for name, _event, _when, _statements in sqlite_triggers():
        if pg:
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON report_counters")
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table("report_source_blocks")
