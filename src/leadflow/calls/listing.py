"""How ``GET /api/v1/calls`` lists calls: the listing convention's spec for the ``call``
shape that :func:`~leadflow.calls.serializer.serialise_call` answers one call with.

Money is kept in cents and shown in dollars; ``order=revenue`` sorts by the cents column.
``fulltext`` finds a number (in any format) among the called and calling numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from leadflow.calls.serializer import CallOut, dollars
from leadflow.kit.fulltext import TextColumns
from leadflow.kit.listing import Computed, ListSpec
from leadflow.models import Call, CallStatus


def _in_progress(row: Mapping[str, Any]) -> bool:
    return row["status"] not in CallStatus.FINAL


def _money(column: str) -> Computed:
    return Computed((column,), lambda row: dollars(row[column]))


CALL_LISTING = ListSpec(
    model=Call,
    serializers={"call": CallOut},
    sortable=("id", "created_at", "updated_at", "ended_at", "duration", "revenue", "payout"),
    fulltext=TextColumns(("to_number", "from_number")),
    # The endpoint reads its filters itself (``in_progress`` is not one column).
    params=(
        "in_progress",
        "status",
        "direction",
        "lead_id",
        "offer_id",
        "schedule_id",
        "traffic_source_id",
    ),
    computed={
        "in_progress": Computed(("status",), _in_progress),
        "to": Computed(("to_number",), lambda row: row["to_number"]),
        "caller_number": Computed(("from_number",), lambda row: row["from_number"]),
        "revenue": _money("revenue_cents"),
        "payout": _money("payout_cents"),
        "profit": Computed(
            ("revenue_cents", "payout_cents"),
            lambda row: dollars(row["revenue_cents"] - row["payout_cents"]),
        ),
        "data": Computed(("tokens",), lambda row: row["tokens"]),
    },
    expressions={
        "revenue": Call.__table__.c.revenue_cents,
        "payout": Call.__table__.c.payout_cents,
    },
    spread={"data": "tokens"},
)
