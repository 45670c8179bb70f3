"""Report roll-up: ``report_totals``, the counters summed per company and UTC hour

Revision ID: 0014
Revises: 0013

Measured at 100,000 leads over 90 days, 200 traffic sources and 5,000 sub IDs,
``report_counters`` held one row per lead (every lead's hour and attribution was its own key),
so ``group_by=day`` over 90 days read as many counter rows as there were leads, and was slower
than a GROUP BY over ``leads``. ``report_totals`` keeps the same metrics per company, hour and
slot (0-7, a function of the counter row's attribution, so that concurrent transactions on
PostgreSQL seldom wait for one row's lock), at most 192 rows a day whatever the volume.

It is fed by triggers on ``report_counters`` itself, so every path that counts a fact (the
triggers of migration 0009, ``leadflow reports rebuild``) rolls it up too, in the same
transaction. A counter row's key never changes (only its sums), so an update adds
``NEW - OLD`` to its slot.
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

import leadflow.db.types

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
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
SLOTS = 8


def slot(row: str) -> str:
    """The slot of a counter row: its attribution spread over ``SLOTS`` values."""
    return (
        f"(({row}.schedule_id + {row}.offer_id + {row}.traffic_source_id + {row}.campaign_id"
        f" + length({row}.sub_id) + length({row}.state)) % {SLOTS})"
    )


def add(row: str, values: Sequence[str]) -> str:
    columns = ", ".join(("company_id", "hour", "slot", *METRICS))
    sets = ", ".join(f"{m} = report_totals.{m} + excluded.{m}" for m in METRICS)
    return (
        f"INSERT INTO report_totals ({columns}) "
        f"VALUES ({row}.company_id, {row}.hour, {slot(row)}, {', '.join(values)}) "
        f"ON CONFLICT (company_id, hour, slot) DO UPDATE SET {sets}"
    )


def take_away() -> str:
    sets = ", ".join(f"{m} = {m} - OLD.{m}" for m in METRICS)
    return (
        f"UPDATE report_totals SET {sets} WHERE company_id = OLD.company_id "
        f"AND hour = OLD.hour AND slot = {slot('OLD')}"
    )


def triggers() -> list[tuple[str, str, str]]:
    """(name, event, statement) of each trigger on ``report_counters``."""
    return [
        ("report_totals_insert", "INSERT", add("NEW", [f"NEW.{m}" for m in METRICS])),
        ("report_totals_update", "UPDATE", add("NEW", [f"NEW.{m} - OLD.{m}" for m in METRICS])),
        # A plain UPDATE: when a company is deleted, its totals may be gone already.
        ("report_totals_delete", "DELETE", take_away()),
    ]


def upgrade() -> None:
    metrics: list[sa.Column[Any]] = [
        sa.Column(name, sa.BigInteger(), nullable=False, server_default="0") for name in METRICS
    ]
    op.create_table(
        "report_totals",
        sa.Column("company_id", BIG_ID, nullable=False),
        sa.Column("hour", leadflow.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("slot", sa.SmallInteger(), nullable=False),
        *metrics,
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_report_totals_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("company_id", "hour", "slot", name=op.f("pk_report_totals")),
    )
    pg = op.get_bind().dialect.name == "postgresql"
    for name, event, statement in triggers():
        if pg:
            op.execute(
                f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
                f"BEGIN\n{statement};\nRETURN NULL;\nEND $$"
            )
            op.execute(
                f"CREATE TRIGGER {name} AFTER {event} ON report_counters FOR EACH ROW "
                f"EXECUTE FUNCTION {name}()"
            )
        else:
            op.execute(
                f"CREATE TRIGGER {name} AFTER {event} ON report_counters BEGIN {statement}; END"
            )
    sums = ", ".join(f"sum(c.{m})" for m in METRICS)
    op.execute(
        f"INSERT INTO report_totals (company_id, hour, slot, {', '.join(METRICS)}) "
        f"SELECT c.company_id, c.hour, {slot('c')}, {sums} FROM report_counters c "
        f"GROUP BY c.company_id, c.hour, {slot('c')}"
    )


def downgrade() -> None:
    pg = op.get_bind().dialect.name == "postgresql"
    for name, _event, _statement in triggers():
        if pg:
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON report_counters")
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table("report_totals")
