"""Report counters on PostgreSQL: one upsert per statement, not per row

Revision ID: 0018
Revises: 0017

Intake on PostgreSQL inserts a batch of leads as one statement (``db.pg_batch``), but the
triggers of migrations 0009 and 0014 ran FOR EACH ROW: a batch of N leads still ran N plpgsql
upserts into ``report_counters`` and N more into ``report_totals``, most of them adding 1 to
the same row. Here the triggers on the hot path run FOR EACH STATEMENT over the statement's
transition table: the statement's rows summed by counter key in one ``INSERT … SELECT …
GROUP BY … ON CONFLICT DO UPDATE``, whichever code path wrote them (the batch, one lead, the
ORM, an import, the worker, ``leadflow reports rebuild``). Replaced:

- ``report_leads_insert`` (0009): a new lead counted in the hour it was created, and as an
  opt-out in the hour of its ``updated_at`` when it arrives opted out;
- ``report_totals_insert`` and ``report_totals_update`` (0014): the counters' rows added to
  their hour's slot (an update adds ``NEW - OLD``; a counter row's key never changes, so its
  old and new rows fall in the same slot).

The rows are upserted in key order (``ORDER BY``), so two processes' statements lock the
counter and total rows they share in the same order and do not deadlock over them. The other
triggers (leads updated or deleted; calls, messages, submissions, lead events) stay row
triggers: those are written a row or a few at a time, not in batches.

Measured (``EXPLAIN ANALYZE``, docs/reports.md): a 64-lead insert like intake's took
10.5 to 11.7 ms with the row triggers and 2.8 to 3.5 ms with these, whose own share is 0.3 ms.

SQLite: nothing changes (its triggers are row triggers only, and its writes are one at a
time anyway). The downgrade puts the row triggers back on the functions 0009 and 0014 made,
which this migration leaves in place for that.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEY = (
    "company_id",
    "hour",
    "schedule_id",
    "offer_id",
    "traffic_source_id",
    "sub_id",
    "campaign_id",
    "buyer",
    "state",
)
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
SLOTS = 8  # as migration 0014


def hour(instant: str) -> str:
    return f"(date_trunc('hour', {instant} AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')"


def state(tokens: str) -> str:
    """Migration 0009's state: the raw token, trimmed and upper-cased."""
    raw = f"coalesce(({tokens}->>'state_province'), ({tokens}->>'state'), '')"
    return f"substr(upper(btrim({raw})), 1, 64)"


def lead_key(row: str, hour_of: str) -> str:
    """A lead's counter key, with the constant columns (campaign, buyer) left out."""
    return ", ".join(
        [
            f"{row}.company_id AS company_id",
            f"{hour(hour_of)} AS hour",
            f"coalesce({row}.schedule_id, 0) AS schedule_id",
            f"coalesce({row}.offer_id, 0) AS offer_id",
            f"coalesce({row}.traffic_source_id, 0) AS traffic_source_id",
            f"coalesce({row}.sub_id, '') AS sub_id",
            f"{state(f'{row}.tokens')} AS state",
        ]
    )


def leads_inserted() -> str:
    """The statement's new leads and opt-outs, summed per counter key."""
    grouped = "company_id, hour, schedule_id, offer_id, traffic_source_id, sub_id, state"
    sets = "leads = report_counters.leads + excluded.leads, " + (
        "opt_outs = report_counters.opt_outs + excluded.opt_outs"
    )
    return (
        f"INSERT INTO report_counters ({', '.join(KEY)}, leads, opt_outs) "
        f"SELECT company_id, hour, schedule_id, offer_id, traffic_source_id, sub_id, 0, '', "
        f"state, sum(leads), sum(opt_outs) FROM ("
        f"SELECT {lead_key('n', 'n.created_at')}, 1 AS leads, 0 AS opt_outs FROM new_leads n "
        f"UNION ALL SELECT {lead_key('n', 'n.updated_at')}, 0, 1 FROM new_leads n "
        f"WHERE n.status = 'opt_out') AS counted "
        f"GROUP BY {grouped} ORDER BY {grouped} "
        f"ON CONFLICT ({', '.join(KEY)}) DO UPDATE SET {sets}"
    )


def slot(row: str) -> str:
    """Migration 0014's slot of a counter row."""
    return (
        f"(({row}.schedule_id + {row}.offer_id + {row}.traffic_source_id + {row}.campaign_id"
        f" + length({row}.sub_id) + length({row}.state)) % {SLOTS})"
    )


def totals_added(rows: str) -> str:
    """``rows`` (``company_id, hour, slot`` and the metrics) summed into their totals."""
    sums = ", ".join(f"sum({m})::bigint" for m in METRICS)
    sets = ", ".join(f"{m} = report_totals.{m} + excluded.{m}" for m in METRICS)
    return (
        f"INSERT INTO report_totals (company_id, hour, slot, {', '.join(METRICS)}) "
        f"SELECT company_id, hour, slot, {sums} FROM ({rows}) AS changed "
        f"GROUP BY company_id, hour, slot ORDER BY company_id, hour, slot "
        f"ON CONFLICT (company_id, hour, slot) DO UPDATE SET {sets}"
    )


def counters(table: str, sign: str = "") -> str:
    values = ", ".join(f"{sign}c.{m} AS {m}" for m in METRICS)
    return f"SELECT c.company_id, c.hour, {slot('c')} AS slot, {values} FROM {table} c"


def statement_triggers() -> list[tuple[str, str, str, str, str]]:
    """(name, event, table, REFERENCING clause, body) of each statement trigger."""
    return [
        (
            "report_leads_insert_statement",
            "INSERT",
            "leads",
            "NEW TABLE AS new_leads",
            leads_inserted(),
        ),
        (
            "report_totals_insert_statement",
            "INSERT",
            "report_counters",
            "NEW TABLE AS new_counters",
            totals_added(counters("new_counters")),
        ),
        (
            "report_totals_update_statement",
            "UPDATE",
            "report_counters",
            "OLD TABLE AS old_counters NEW TABLE AS new_counters",
            totals_added(f"{counters('new_counters')} UNION ALL {counters('old_counters', '-')}"),
        ),
    ]


ROW_TRIGGERS = (
    ("report_leads_insert", "INSERT", "leads"),
    ("report_totals_insert", "INSERT", "report_counters"),
    ("report_totals_update", "UPDATE", "report_counters"),
)
"""The row triggers replaced, each with its function of the same name (0009, 0014)."""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, _event, table in ROW_TRIGGERS:
        op.execute(f"DROP TRIGGER {name} ON {table}")
    for name, event, table, referencing, body in statement_triggers():
        op.execute(
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            f"BEGIN\n{body};\nRETURN NULL;\nEND $$"
        )
        op.execute(
            f"CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {referencing} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, _event, table, _referencing, _body in statement_triggers():
        op.execute(f"DROP TRIGGER {name} ON {table}")
        op.execute(f"DROP FUNCTION {name}()")
    for name, event, table in ROW_TRIGGERS:
        op.execute(
            f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW EXECUTE FUNCTION {name}()"
        )
