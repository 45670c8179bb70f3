"""Report counters: a submission's state is its ``address.state``; a ping/post sale's price is
revenue

Revision ID: 0020
Revises: 0019

Migration 0009 counted a submission under the ``state`` (or ``state_province``) at the top of
its data, as a lead's tokens hold it. A submission made through ``POST /api/v1/leads/submit``
holds it in ``address.state`` (the LeadSail schema), so ``group_by=state`` put every real
submission under "no state". The submission triggers now read ``address.state`` first, then
the top-level keys as before.

A ping/post auction that sells a lead writes the winning bid, the price the buyer accepted,
to its submission's ``delivery.revenue`` (dollars); no report counted it. The submission
triggers now add it to ``revenue_cents`` (rounded to the cent as the auctions report rounds
it), by campaign and buyer like the submission itself, so ``revenue`` and ``profit`` include
what leads sold for. ``leadflow reports rebuild`` counts the same (``reports.recount_sql``).

Submissions already counted are taken away as 0009 counted them and added as these triggers
count them, in one ``GROUP BY`` upsert each way: the update and delete triggers take away
what the insert trigger added, so each row must stay counted as the triggers compute it.
The downgrade does the reverse.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
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
    "revenue_cents",
    "submissions",
    "submissions_delivered",
    "submissions_rejected",
    "submissions_disqualified",
    "submissions_duplicate",
    "submissions_error",
)
TRIGGERS = (
    ("report_submissions_insert", "INSERT", (("NEW", 1),)),
    ("report_submissions_update", "UPDATE", (("OLD", -1), ("NEW", 1))),
    ("report_submissions_delete", "DELETE", (("OLD", -1),)),
)


def _pg() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _json_text(document: str, *path: str) -> str:
    if _pg():
        arrows = "".join(f"->'{key}'" for key in path[:-1])
        return f"({document}{arrows}->>'{path[-1]}')"
    dotted = ".".join(path)
    return f"(CASE WHEN json_valid({document}) THEN json_extract({document}, '$.{dotted}') END)"


def _state(data: str, from_address: bool) -> str:
    """The raw state, trimmed and upper-cased, as 0009's triggers compute it; with
    ``from_address``, ``address.state`` first."""
    keys = [_json_text(data, "state_province"), _json_text(data, "state")]
    if from_address:
        keys.insert(0, _json_text(data, "address", "state"))
    raw = f"coalesce({', '.join(keys)}, '')"
    if _pg():
        return f"substr(upper(btrim(CAST({raw} AS TEXT))), 1, 64)"
    return f"substr(upper(trim(CAST({raw} AS TEXT))), 1, 64)"


def _hour(instant: str) -> str:
    if _pg():
        return f"(date_trunc('hour', {instant} AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')"
    return f"strftime('%Y-%m-%d %H:00:00.000000', {instant})"


def _key(row: str, from_address: bool) -> list[str]:
    url = _json_text(f"{row}.delivery", "url")
    return [
        f"{row}.company_id",
        _hour(f"{row}.created_at"),
        "0",
        "0",
        "0",
        "''",
        f"coalesce({row}.campaign_id, 0)",
        f"substr(coalesce(CAST({url} AS TEXT), ''), 1, 300)",
        _state(f"{row}.data", from_address),
    ]


def _revenue_cents(delivery: str) -> str:
    """A sale's price in cents; 0 when there is none (or it is not a number)."""
    if _pg():
        price = f"{delivery}->'revenue'"
        return (
            f"CASE WHEN jsonb_typeof({price}) = 'number' "
            f"THEN round(({delivery}->>'revenue')::float8 * 100)::bigint ELSE 0 END"
        )
    kind = f"json_type({delivery}, '$.revenue')"
    price = f"json_extract({delivery}, '$.revenue')"
    return (
        f"CASE WHEN json_valid({delivery}) THEN CASE WHEN {kind} IN ('integer', 'real') "
        f"THEN CAST(round({price} * 100) AS INTEGER) ELSE 0 END ELSE 0 END"
    )


def _values(row: str, new: bool) -> list[str]:
    """``METRICS`` of a submission: as these triggers count it (``new``), or as 0009's did."""
    status = f"{row}.status"
    return [
        _revenue_cents(f"{row}.delivery") if new else "0",
        "1",
        *(
            f"CASE WHEN {status} = '{outcome}' THEN 1 ELSE 0 END"
            for outcome in ("delivered", "rejected", "disqualified", "duplicate")
        ),
        f"CASE WHEN {status} IN ('error', 'failed') THEN 1 ELSE 0 END",
    ]


def _upsert(select_sql: str) -> str:
    columns = ", ".join((*KEY, *METRICS))
    sets = ", ".join(f"{m} = report_counters.{m} + excluded.{m}" for m in METRICS)
    return (
        f"INSERT INTO report_counters ({columns}) {select_sql} "
        f"ON CONFLICT ({', '.join(KEY)}) DO UPDATE SET {sets}"
    )


def _row_statement(row: str, sign: int, new: bool) -> str:
    signed = [f"{sign} * ({value})" for value in _values(row, new)]
    return _upsert(f"SELECT {', '.join(_key(row, new) + signed)} WHERE 1 = 1")


def _replace_triggers(new: bool) -> None:
    for name, event, rows in TRIGGERS:
        statements = [_row_statement(row, sign, new) for row, sign in rows]
        if _pg():
            # The triggers stay; the functions they run are replaced.
            op.execute(
                f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
                f"BEGIN\n{';'.join(statements)};\nRETURN NULL;\nEND $$"
            )
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
            op.execute(
                f"CREATE TRIGGER {name} AFTER {event} ON submissions "
                f"BEGIN {'; '.join(statements)}; END"
            )


def _recount(new: bool) -> None:
    """Every submission taken away as the triggers it replaces counted it, and added as the
    triggers ``new`` selects count it: its state, and its price, move with the triggers."""
    for counted, sign in ((not new, -1), (new, 1)):
        key = _key("s", counted)
        sums = [f"{sign} * sum({value})" for value in _values("s", counted)]
        grouped = ", ".join(k for k in key if k not in ("0", "''"))
        op.execute(_upsert(f"SELECT {', '.join(key + sums)} FROM submissions s GROUP BY {grouped}"))


def upgrade() -> None:
    _replace_triggers(new=True)
    _recount(new=True)


def downgrade() -> None:
    _replace_triggers(new=False)
    _recount(new=False)
