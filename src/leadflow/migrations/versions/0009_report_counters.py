"""Report counters: hourly sums per company and attribution, kept by triggers

Revision ID: 0009
Revises: 0008

``report_counters`` holds, per company, UTC hour, schedule, offer, traffic source, sub ID,
campaign, buyer (delivery URL) and state, the leads, duplicates, opt-outs, calls (connected,
converted, revenue, payout), SMS, e-mails and submissions by outcome. Triggers on ``leads``,
``lead_events``, ``calls``, ``messages`` and ``submissions`` keep it in the transaction that
writes the fact, whichever code path writes it (intake's plain SQL, the ORM, a CSV import, the
worker): one place, nothing to forget, and a report never lags the tables.

A call or message is attributed to its lead's sub ID and state (and a message to its lead's
offer and traffic source): when a lead's attribution changes its calls and messages move with
it, and when a lead is deleted they move to "no sub ID" (a ``BEFORE DELETE`` trigger, while
they still point at it; the foreign key's ``SET NULL`` that follows is not a change the
counters see). Duplicates (an intake that updated a lead) and opt-outs are events: counted
when they happen, kept when the lead goes.
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

import leadflow.db.types

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
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
TABLES = ("leads", "lead_events", "calls", "messages", "submissions")


class Dialect:
    """The few expressions that differ between SQLite and PostgreSQL."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.pg = name == "postgresql"

    def hour(self, instant: str) -> str:
        if self.pg:
            return f"(date_trunc('hour', {instant} AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')"
        return f"strftime('%Y-%m-%d %H:00:00.000000', {instant})"

    def json_text(self, document: str, key: str) -> str:
        if self.pg:
            return f"({document}->>'{key}')"
        return f"(CASE WHEN json_valid({document}) THEN json_extract({document}, '$.{key}') END)"

    def state(self, tokens: str) -> str:
        """The raw state token, trimmed and upper-cased (reports fold it to a code)."""
        province, state = self.json_text(tokens, "state_province"), self.json_text(tokens, "state")
        raw = f"coalesce({province}, {state}, '')"
        if self.pg:
            return f"substr(upper(btrim({raw})), 1, 64)"
        return f"substr(upper(trim(CAST({raw} AS TEXT))), 1, 64)"

    def distinct(self, first: str, second: str) -> str:
        return f"{first} IS DISTINCT FROM {second}" if self.pg else f"{first} IS NOT {second}"


def upsert(select_sql: str, metrics: Sequence[str]) -> str:
    """Add the selected rows to the counters (the select names the key, then ``metrics``)."""
    columns = ", ".join((*KEY, *metrics))
    sets = ", ".join(f"{m} = report_counters.{m} + excluded.{m}" for m in metrics)
    return (
        f"INSERT INTO report_counters ({columns}) {select_sql} "
        f"ON CONFLICT ({', '.join(KEY)}) DO UPDATE SET {sets}"
    )


def flag(condition: str) -> str:
    return f"CASE WHEN {condition} THEN 1 ELSE 0 END"


def lead_key(d: Dialect, row: str, hour_of: str) -> list[str]:
    return [
        f"{row}.company_id",
        d.hour(hour_of),
        f"coalesce({row}.schedule_id, 0)",
        f"coalesce({row}.offer_id, 0)",
        f"coalesce({row}.traffic_source_id, 0)",
        f"coalesce({row}.sub_id, '')",
        "0",
        "''",
        d.state(f"{row}.tokens"),
    ]


def lead_statements(d: Dialect, row: str, sign: int) -> list[str]:
    """The lead itself, counted in the hour it was created."""
    key = ", ".join(lead_key(d, row, f"{row}.created_at"))
    return [upsert(f"SELECT {key}, {sign} WHERE 1 = 1", ["leads"])]


def opt_out_statement(d: Dialect, condition: str) -> str:
    key = ", ".join(lead_key(d, "NEW", "NEW.updated_at"))
    return upsert(f"SELECT {key}, 1 WHERE {condition}", ["opt_outs"])


CALL_METRICS = ("calls", "connected_calls", "converted_calls", "revenue_cents", "payout_cents")
MESSAGE_METRICS = ("sms", "emails")


def call_values(row: str) -> list[str]:
    return [
        "1",
        flag(f"{row}.answered_at IS NOT NULL"),
        flag(f"{row}.buyer_converted OR {row}.offer_converted"),
        f"{row}.revenue_cents",
        f"{row}.payout_cents",
    ]


def message_values(row: str) -> list[str]:
    return [
        flag(f"{row}.channel = 'sms' AND {row}.direction = 'outbound'"),
        flag(f"{row}.channel = 'email' AND {row}.direction = 'outbound'"),
    ]


def call_statement(d: Dialect, row: str, sign: int) -> str:
    """One call, with its lead's sub ID and state (blank when it has no lead)."""
    key = [
        f"{row}.company_id",
        d.hour(f"{row}.created_at"),
        f"coalesce({row}.schedule_id, 0)",
        f"coalesce({row}.offer_id, 0)",
        f"coalesce({row}.traffic_source_id, 0)",
        "coalesce(l.sub_id, '')",
        "0",
        "''",
        f"coalesce({d.state('l.tokens')}, '')",
    ]
    values = [f"{sign} * ({value})" for value in call_values(row)]
    return upsert(
        f"SELECT {', '.join(key + values)} FROM (SELECT 1 AS one) AS o "
        f"LEFT JOIN leads l ON l.id = {row}.lead_id WHERE 1 = 1",
        CALL_METRICS,
    )


def message_statement(d: Dialect, row: str, sign: int) -> str:
    """One message, with its lead's offer, traffic source, sub ID and state."""
    key = [
        f"{row}.company_id",
        d.hour(f"{row}.created_at"),
        f"coalesce({row}.schedule_id, 0)",
        "coalesce(l.offer_id, 0)",
        "coalesce(l.traffic_source_id, 0)",
        "coalesce(l.sub_id, '')",
        "0",
        "''",
        f"coalesce({d.state('l.tokens')}, '')",
    ]
    values = [f"{sign} * ({value})" for value in message_values(row)]
    return upsert(
        f"SELECT {', '.join(key + values)} FROM (SELECT 1 AS one) AS o "
        f"LEFT JOIN leads l ON l.id = {row}.lead_id WHERE 1 = 1",
        MESSAGE_METRICS,
    )


def moved_statements(d: Dialect, lead: str | None, sign: int, lead_id: str) -> list[str]:
    """A lead's calls and messages, added (``sign`` 1) or taken away (-1) under the lead
    attribution ``lead`` (``None``: no lead, as after it was deleted)."""
    sub = f"coalesce({lead}.sub_id, '')" if lead else "''"
    state = d.state(f"{lead}.tokens") if lead else "''"
    offer = f"coalesce({lead}.offer_id, 0)" if lead else "0"
    source = f"coalesce({lead}.traffic_source_id, 0)" if lead else "0"
    call_group = [
        "c.company_id",
        d.hour("c.created_at"),
        "coalesce(c.schedule_id, 0)",
        "coalesce(c.offer_id, 0)",
        "coalesce(c.traffic_source_id, 0)",
    ]
    call_sums = [f"{sign} * sum({value})" for value in call_values("c")]
    calls = upsert(
        f"SELECT {', '.join(call_group)}, {sub}, 0, '', {state}, {', '.join(call_sums)} "
        f"FROM calls c WHERE c.lead_id = {lead_id} GROUP BY {', '.join(call_group)}",
        CALL_METRICS,
    )
    message_group = ["m.company_id", d.hour("m.created_at"), "coalesce(m.schedule_id, 0)"]
    message_sums = [f"{sign} * sum({value})" for value in message_values("m")]
    messages = upsert(
        f"SELECT {', '.join(message_group)}, {offer}, {source}, {sub}, 0, '', {state}, "
        f"{', '.join(message_sums)} FROM messages m WHERE m.lead_id = {lead_id} "
        f"GROUP BY {', '.join(message_group)}",
        MESSAGE_METRICS,
    )
    return [calls, messages]


SUBMISSION_METRICS = (
    "submissions",
    "submissions_delivered",
    "submissions_rejected",
    "submissions_disqualified",
    "submissions_duplicate",
    "submissions_error",
)


def submission_statement(d: Dialect, row: str, sign: int) -> str:
    """A submission, in the hour it was made, by campaign, delivery URL and outcome."""
    key = [
        f"{row}.company_id",
        d.hour(f"{row}.created_at"),
        "0",
        "0",
        "0",
        "''",
        f"coalesce({row}.campaign_id, 0)",
        f"substr(coalesce(CAST({d.json_text(f'{row}.delivery', 'url')} AS TEXT), ''), 1, 300)",
        d.state(f"{row}.data"),
    ]
    status = f"{row}.status"
    values = [
        "1",
        flag(f"{status} = 'delivered'"),
        flag(f"{status} = 'rejected'"),
        flag(f"{status} = 'disqualified'"),
        flag(f"{status} = 'duplicate'"),
        flag(f"{status} IN ('error', 'failed')"),
    ]
    signed = [f"{sign} * ({value})" for value in values]
    return upsert(f"SELECT {', '.join(key + signed)} WHERE 1 = 1", SUBMISSION_METRICS)


def duplicate_statement(d: Dialect) -> str:
    """An intake that updated a lead instead of creating one (its ``updated`` event without
    a ``by``: updates by the API or by matching say who made them)."""
    key = ", ".join(lead_key(d, "l", "NEW.created_at"))
    condition = f"NEW.kind = 'updated' AND {d.json_text('NEW.data', 'by')} IS NULL"
    return upsert(
        f"SELECT {key}, 1 FROM leads l WHERE l.id = NEW.lead_id AND {condition}", ["duplicates"]
    )


def triggers(d: Dialect) -> list[tuple[str, str, str, str, str, list[str]]]:
    """(name, timing, event, table, when, statements) for each trigger."""
    lead_moved = " OR ".join(
        [
            d.distinct(f"OLD.{column}", f"NEW.{column}")
            for column in ("company_id", "schedule_id", "offer_id", "traffic_source_id")
        ]
        + [
            d.distinct("OLD.sub_id", "NEW.sub_id"),
            d.distinct("OLD.created_at", "NEW.created_at"),
            f"{d.state('OLD.tokens')} <> {d.state('NEW.tokens')}",
        ]
    )
    opted_out = "NEW.status = 'opt_out' AND OLD.status <> 'opt_out'"
    call_changed = "NOT (OLD.lead_id IS NOT NULL AND NEW.lead_id IS NULL)"
    message_changed = " OR ".join(
        [
            d.distinct("OLD.schedule_id", "NEW.schedule_id"),
            "OLD.channel <> NEW.channel",
            "OLD.direction <> NEW.direction",
            d.distinct("OLD.created_at", "NEW.created_at"),
            f"(NEW.lead_id IS NOT NULL AND {d.distinct('OLD.lead_id', 'NEW.lead_id')})",
        ]
    )
    return [
        (
            "report_leads_insert",
            "AFTER",
            "INSERT",
            "leads",
            "",
            [*lead_statements(d, "NEW", 1), opt_out_statement(d, "NEW.status = 'opt_out'")],
        ),
        (
            "report_leads_move",
            "AFTER",
            "UPDATE",
            "leads",
            lead_moved,
            [
                *lead_statements(d, "OLD", -1),
                *lead_statements(d, "NEW", 1),
                *moved_statements(d, "OLD", -1, "NEW.id"),
                *moved_statements(d, "NEW", 1, "NEW.id"),
            ],
        ),
        (
            "report_leads_opt_out",
            "AFTER",
            "UPDATE",
            "leads",
            opted_out,
            [opt_out_statement(d, "1 = 1")],
        ),
        (
            "report_leads_delete",
            "BEFORE",
            "DELETE",
            "leads",
            "",
            [
                *lead_statements(d, "OLD", -1),
                *moved_statements(d, "OLD", -1, "OLD.id"),
                *moved_statements(d, None, 1, "OLD.id"),
            ],
        ),
        (
            "report_lead_events_insert",
            "AFTER",
            "INSERT",
            "lead_events",
            "NEW.kind = 'updated'",
            [duplicate_statement(d)],
        ),
        ("report_calls_insert", "AFTER", "INSERT", "calls", "", [call_statement(d, "NEW", 1)]),
        (
            "report_calls_update",
            "AFTER",
            "UPDATE",
            "calls",
            call_changed,
            [call_statement(d, "OLD", -1), call_statement(d, "NEW", 1)],
        ),
        ("report_calls_delete", "AFTER", "DELETE", "calls", "", [call_statement(d, "OLD", -1)]),
        (
            "report_messages_insert",
            "AFTER",
            "INSERT",
            "messages",
            "",
            [message_statement(d, "NEW", 1)],
        ),
        (
            "report_messages_update",
            "AFTER",
            "UPDATE",
            "messages",
            message_changed,
            [message_statement(d, "OLD", -1), message_statement(d, "NEW", 1)],
        ),
        (
            "report_messages_delete",
            "AFTER",
            "DELETE",
            "messages",
            "",
            [message_statement(d, "OLD", -1)],
        ),
        (
            "report_submissions_insert",
            "AFTER",
            "INSERT",
            "submissions",
            "",
            [submission_statement(d, "NEW", 1)],
        ),
        (
            "report_submissions_update",
            "AFTER",
            "UPDATE",
            "submissions",
            "",
            [submission_statement(d, "OLD", -1), submission_statement(d, "NEW", 1)],
        ),
        (
            "report_submissions_delete",
            "AFTER",
            "DELETE",
            "submissions",
            "",
            [submission_statement(d, "OLD", -1)],
        ),
    ]


def create_triggers(d: Dialect) -> None:
    for name, timing, event, table, when, statements in triggers(d):
        if d.pg:
            body = ";\n".join(statements)
            returned = "OLD" if timing == "BEFORE" else "NULL"
            op.execute(
                f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
                f"BEGIN\n{body};\nRETURN {returned};\nEND $$"
            )
            condition = f"WHEN ({when})" if when else ""
            op.execute(
                f"CREATE TRIGGER {name} {timing} {event} ON {table} FOR EACH ROW "
                f"{condition} EXECUTE FUNCTION {name}()"
            )
        else:
            condition = f"WHEN {when}" if when else ""
            body = "; ".join(statements)
            op.execute(
                f"CREATE TRIGGER {name} {timing} {event} ON {table} {condition} BEGIN {body}; END"
            )


def upgrade() -> None:
    dims: list[sa.Column[Any]] = [
        sa.Column("schedule_id", sa.BigInteger(), nullable=False),
        sa.Column("offer_id", sa.BigInteger(), nullable=False),
        sa.Column("traffic_source_id", sa.BigInteger(), nullable=False),
        sa.Column("sub_id", sa.String(length=200), nullable=False),
        sa.Column("campaign_id", sa.BigInteger(), nullable=False),
        sa.Column("buyer", sa.String(length=300), nullable=False),
        sa.Column("state", sa.String(length=64), nullable=False),
    ]
    metrics: list[sa.Column[Any]] = [
        sa.Column(name, sa.BigInteger(), nullable=False, server_default="0") for name in METRICS
    ]
    op.create_table(
        "report_counters",
        sa.Column("company_id", BIG_ID, nullable=False),
        sa.Column("hour", leadflow.db.types.UTCDateTime(timezone=True), nullable=False),
        *dims,
        *metrics,
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_report_counters_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(*KEY, name=op.f("pk_report_counters")),
    )
    dialect = Dialect(op.get_bind().dialect.name)
    create_triggers(dialect)
    count_existing_rows(dialect)


def count_existing_rows(d: Dialect) -> None:
    """A database that already holds leads starts with them counted: without this, the first
    change to an old call would take its revenue away from a counter that never had it.
    The same statements as ``leadflow reports rebuild``."""
    from leadflow.reports.repository import rebuild_statements

    bind = op.get_bind()
    companies = [row[0] for row in bind.execute(sa.text("SELECT id FROM companies"))]
    for company in companies:
        for _what, statement in rebuild_statements(d.name):
            bind.execute(sa.text(statement), {"company": company})


def downgrade() -> None:
    dialect = Dialect(op.get_bind().dialect.name)
    for name, _timing, _event, table, _when, _statements in triggers(dialect):
        if dialect.pg:
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table("report_counters")
