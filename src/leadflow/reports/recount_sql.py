"""The SQL that recounts a company's report counters from its rows (``leadflow reports
rebuild``, migration 0009's first count): the triggers' arithmetic as one GROUP BY per source
table. Text, not ORM: the same expressions as the triggers, on both engines."""

from __future__ import annotations


def hour_sql(dialect: str, instant: str) -> str:
    """The UTC hour an instant falls in, as the triggers of migration 0009 compute it."""
    if dialect == "postgresql":
        return f"(date_trunc('hour', {instant} AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')"
    return f"strftime('%Y-%m-%d %H:00:00.000000', {instant})"


def _json_text(dialect: str, document: str, key: str) -> str:
    if dialect == "postgresql":
        return f"({document}->>'{key}')"
    return f"(CASE WHEN json_valid({document}) THEN json_extract({document}, '$.{key}') END)"


def _address_state(dialect: str, data: str) -> str:
    if dialect == "postgresql":
        return f"({data}->'address'->>'state')"
    return f"(CASE WHEN json_valid({data}) THEN json_extract({data}, '$.address.state') END)"


def sale_cents_sql(dialect: str, delivery: str) -> str:
    """The price a ping/post buyer accepted (a submission's ``delivery.revenue``, dollars) in
    cents, rounded as the auctions report rounds it; 0 without one (migration 0020)."""
    if dialect == "postgresql":
        return (
            f"CASE WHEN jsonb_typeof({delivery}->'revenue') = 'number' "
            f"THEN round(({delivery}->>'revenue')::float8 * 100)::bigint ELSE 0 END"
        )
    kind = f"json_type({delivery}, '$.revenue')"
    price = f"json_extract({delivery}, '$.revenue')"
    return (
        f"CASE WHEN json_valid({delivery}) THEN CASE WHEN {kind} IN ('integer', 'real') "
        f"THEN CAST(round({price} * 100) AS INTEGER) ELSE 0 END ELSE 0 END"
    )


def state_sql(dialect: str, tokens: str, from_address: bool = False) -> str:
    """A lead's state token (``state_province``, else ``state``), trimmed and upper-cased;
    with ``from_address`` (a submission, since migration 0020) its ``address.state`` first."""
    keys = [_json_text(dialect, tokens, "state_province"), _json_text(dialect, tokens, "state")]
    if from_address:
        keys.insert(0, _address_state(dialect, tokens))
    raw = f"coalesce({', '.join(keys)}, '')"
    if dialect == "postgresql":
        return f"substr(upper(btrim(CAST({raw} AS TEXT))), 1, 64)"
    return f"substr(upper(trim(CAST({raw} AS TEXT))), 1, 64)"


def _flag(condition: str) -> str:
    return f"CASE WHEN {condition} THEN 1 ELSE 0 END"


def _sum(condition: str) -> str:
    return f"sum({_flag(condition)})"


KEY_COLUMNS = (
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


CONSTANTS = ("0", "''")


def rebuild_statements(dialect: str) -> list[tuple[str, str]]:
    """(what, SQL) that recount one company (``:company``) from its rows, after its counters
    were deleted: the same arithmetic as the triggers, as one GROUP BY per source table."""

    def h(instant: str) -> str:
        return hour_sql(dialect, instant)

    def state(tokens: str) -> str:
        return state_sql(dialect, tokens)

    sources: list[tuple[str, list[str], dict[str, str], str]] = [
        *_lead_sources(dialect, "l.company_id = :company"),
        (
            "duplicates",
            _lead_key(dialect, "e.created_at"),
            {"duplicates": "count(*)"},
            "FROM lead_events e JOIN leads l ON l.id = e.lead_id WHERE e.company_id = :company "
            f"AND e.kind = 'updated' AND {_json_text(dialect, 'e.data', 'by')} IS NULL",
        ),
        (
            "calls",
            [
                "c.company_id",
                h("c.created_at"),
                "coalesce(c.schedule_id, 0)",
                "coalesce(c.offer_id, 0)",
                "coalesce(c.traffic_source_id, 0)",
                "coalesce(l.sub_id, '')",
                "0",
                "''",
                f"coalesce({state('l.tokens')}, '')",
            ],
            {
                "calls": "count(*)",
                "connected_calls": _sum("c.answered_at IS NOT NULL"),
                "converted_calls": _sum("c.buyer_converted OR c.offer_converted"),
                "revenue_cents": "sum(c.revenue_cents)",
                "payout_cents": "sum(c.payout_cents)",
            },
            "FROM calls c LEFT JOIN leads l ON l.id = c.lead_id WHERE c.company_id = :company",
        ),
        (
            "messages",
            [
                "m.company_id",
                h("m.created_at"),
                "coalesce(m.schedule_id, 0)",
                "coalesce(l.offer_id, 0)",
                "coalesce(l.traffic_source_id, 0)",
                "coalesce(l.sub_id, '')",
                "0",
                "''",
                f"coalesce({state('l.tokens')}, '')",
            ],
            {
                "sms": _sum("m.channel = 'sms' AND m.direction = 'outbound'"),
                "emails": _sum("m.channel = 'email' AND m.direction = 'outbound'"),
            },
            "FROM messages m LEFT JOIN leads l ON l.id = m.lead_id WHERE m.company_id = :company",
        ),
        (
            "submissions",
            [
                "s.company_id",
                h("s.created_at"),
                "0",
                "0",
                "0",
                "''",
                "coalesce(s.campaign_id, 0)",
                f"substr(coalesce(CAST({_json_text(dialect, 's.delivery', 'url')} AS TEXT), ''),"
                " 1, 300)",
                state_sql(dialect, "s.data", from_address=True),
            ],
            {
                "revenue_cents": f"sum({sale_cents_sql(dialect, 's.delivery')})",
                "submissions": "count(*)",
                "submissions_delivered": _sum("s.status = 'delivered'"),
                "submissions_rejected": _sum("s.status = 'rejected'"),
                "submissions_disqualified": _sum("s.status = 'disqualified'"),
                "submissions_duplicate": _sum("s.status = 'duplicate'"),
                "submissions_error": _sum("s.status IN ('error', 'failed')"),
            },
            "FROM submissions s WHERE s.company_id = :company",
        ),
    ]
    return [(what, _counting(key, metrics, source)) for what, key, metrics, source in sources]


def pending_lead_statements(dialect: str, which: str) -> list[str]:
    """SQL that counts the leads ``which`` picks (a condition on ``l``) as the insert trigger
    of migration 0009 counted each lead: in the hour it was created, and as an opt-out in the
    hour of its last change when it is opted out. Since migration 0022 new leads wait in
    ``report_pending_leads`` and :mod:`leadflow.reports.pending` counts them with this."""
    return [
        _counting(key, metrics, source)
        for _what, key, metrics, source in _lead_sources(dialect, which)
    ]


def _lead_key(dialect: str, instant: str) -> list[str]:
    """A lead's counter key, in the hour of ``instant``."""
    return [
        "l.company_id",
        hour_sql(dialect, instant),
        "coalesce(l.schedule_id, 0)",
        "coalesce(l.offer_id, 0)",
        "coalesce(l.traffic_source_id, 0)",
        "coalesce(l.sub_id, '')",
        "0",
        "''",
        state_sql(dialect, "l.tokens"),
    ]


def _lead_sources(dialect: str, which: str) -> list[tuple[str, list[str], dict[str, str], str]]:
    """The leads ``which`` picks, counted in the hour they were created, and those opted out
    in the hour of their last change (as the insert trigger counts a lead that arrives opted
    out, and the update trigger one that opts out later)."""
    return [
        (
            "leads",
            _lead_key(dialect, "l.created_at"),
            {"leads": "count(*)"},
            f"FROM leads l WHERE {which}",
        ),
        (
            "opt-outs",
            _lead_key(dialect, "l.updated_at"),
            {"opt_outs": "count(*)"},
            f"FROM leads l WHERE {which} AND l.status = 'opt_out'",
        ),
    ]


def _counting(key: list[str], metrics: dict[str, str], source: str) -> str:
    """Add ``metrics`` of the rows ``source`` selects to the counters, grouped by ``key``
    (constants are not grouped by: a number in GROUP BY names a column)."""
    columns = ", ".join((*KEY_COLUMNS, *metrics))
    sets = ", ".join(f"{m} = report_counters.{m} + excluded.{m}" for m in metrics)
    return (
        f"INSERT INTO report_counters ({columns}) "
        f"SELECT {', '.join(key)}, {', '.join(metrics.values())} {source} "
        f"GROUP BY {', '.join(k for k in key if k not in CONSTANTS)} "
        f"ON CONFLICT ({', '.join(KEY_COLUMNS)}) DO UPDATE SET {sets}"
    )
