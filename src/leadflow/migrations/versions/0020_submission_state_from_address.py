"""Report counters: a submission's state is its ``address.state``

Revision ID: 0020
Revises: 0019

Migration 0009 counted a submission under the ``state`` (or ``state_province``) at the top of
its data, as a lead's tokens hold it. A submission made through ``POST /api/v1/leads/submit``
holds it in ``address.state`` (the LeadSail schema), so ``group_by=state`` put every real
submission under "no state". The submission triggers now read ``address.state`` first, then
the top-level keys as before; ``leadflow reports rebuild`` reads the same
(``reports.recount_sql``).

Submissions already counted are moved from the state they were counted under to the one they
now read, in one ``GROUP BY`` upsert each way: the update and delete triggers take away what the
insert trigger added, so each row must stay counted under the key the triggers compute.
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


def _values(row: str) -> list[str]:
    status = f"{row}.status"
    return [
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


def _row_statement(row: str, sign: int, from_address: bool) -> str:
    signed = [f"{sign} * ({value})" for value in _values(row)]
    return _upsert(f"SELECT {', '.join(_key(row, from_address) + signed)} WHERE 1 = 1")


def _replace_triggers(from_address: bool) -> None:
    for name, event, rows in TRIGGERS:
        statements = [_row_statement(row, sign, from_address) for row, sign in rows]
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


def _move_counted(from_address: bool) -> None:
    """Every submission whose state changes with this migration, taken away from the key
    it was counted under and added under the one the new triggers compute."""
    old, new = _key("s", not from_address), _key("s", from_address)
    moved = f"FROM submissions s WHERE {old[-1]} <> {new[-1]}"
    for key, sign in ((old, -1), (new, 1)):
        sums = [f"{sign} * sum({value})" for value in _values("s")]
        grouped = ", ".join(k for k in key if k not in ("0", "''"))
        op.execute(_upsert(f"SELECT {', '.join(key + sums)} {moved} GROUP BY {grouped}"))


def upgrade() -> None:
    _replace_triggers(from_address=True)
    _move_counted(from_address=True)


def downgrade() -> None:
    _replace_triggers(from_address=False)
    _move_counted(from_address=False)
