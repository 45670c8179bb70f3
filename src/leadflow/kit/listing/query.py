"""A list request's parameters, parsed (no postponed annotations: FastAPI reads this module's
dependency signature at runtime).

``page``/``per_page`` or cursor paging, ``created_at_from``/``created_at_to``, ``order`` and
``order_dir``, ``fulltext``, ``columns``, ``serializer`` and ``format`` (``csv`` streams every
matching row as CSV, see :mod:`leadflow.kit.listing.export`).
"""

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Annotated, Literal

from fastapi import Depends, Query, Request

from leadflow.kit.errors import TrackDriveError
from leadflow.kit.fulltext import MAX_FULLTEXT_LENGTH
from leadflow.kit.values import parse_time

DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 500
START_CURSOR = -1
LAST_CURSOR = 0
MAX_PAGE = 2_147_483_647
MAX_ID = 2**63 - 1

Direction = Literal["asc", "desc"]
TIME_HELP = "Date formatted like 2016-01-01 12:25:15 -0500 (ISO 8601 is accepted too)."


@dataclass(frozen=True)
class ListQuery:
    """The listing parameters of one request, parsed but not yet checked against a resource."""

    page: int = 1
    per_page: int = DEFAULT_PER_PAGE
    cursor: int | None = None
    created_at_from: datetime | None = None
    created_at_to: datetime | None = None
    order: str | None = None
    order_dir: Direction = "asc"
    fulltext: str | None = None
    columns: tuple[str, ...] | None = None
    serializer: str | None = None
    # ``format=csv`` or ``Accept: text/csv``: every matching row, streamed as CSV.
    csv: bool = False
    # Every query parameter as sent, for the resource's filters and the unknown-name check.
    params: tuple[tuple[str, str], ...] = ()


# What every list accepts besides its resource's filters: the listing parameters above and
# the global ones TrackDrive documents on every request (credentials in the query string).
LIST_PARAMS = frozenset(
    {
        "page",
        "per_page",
        "cursor",
        "created_at_from",
        "created_at_to",
        "order",
        "order_dir",
        "fulltext",
        "columns",
        "serializer",
        "format",
        "auth_token",
        "lead_token",
    }
)
UNKNOWN = "unknown parameter"


def parse_columns(text: str | None) -> tuple[str, ...] | None:
    """``uuid, caller_id,,uuid`` → ``("uuid", "caller_id")``; blank means every field."""
    names = [name.strip() for name in (text or "").split(",") if name.strip()]
    return tuple(dict.fromkeys(names)) or None


def list_query(
    page: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Page number, from 1.")] = 1,
    per_page: Annotated[
        int, Query(ge=1, le=MAX_PER_PAGE, description="Records per page (at most 500).")
    ] = DEFAULT_PER_PAGE,
    cursor: Annotated[
        int | None,
        Query(
            ge=START_CURSOR,
            le=MAX_ID,
            description="-1 starts cursor paging; then pass metadata.next_cursor, which is 0 "
            "on the last page.",
        ),
    ] = None,
    created_at_from: Annotated[str | None, Query(description=TIME_HELP)] = None,
    created_at_to: Annotated[str | None, Query(description=TIME_HELP)] = None,
    order: Annotated[str | None, Query(description="Sort results by this field.")] = None,
    order_dir: Annotated[Direction, Query(description="Sort direction.")] = "asc",
    fulltext: Annotated[
        str | None,
        Query(
            max_length=MAX_FULLTEXT_LENGTH,
            description="Search for any record that matches this text.",
        ),
    ] = None,
    columns: Annotated[
        str | None,
        Query(description="Comma-separated fields to return, e.g. uuid,created_at."),
    ] = None,
    serializer: Annotated[
        str | None, Query(description="A named response format, where there are several.")
    ] = None,
    format_: Annotated[
        Literal["json", "csv"] | None,
        Query(
            alias="format",
            description="csv: every matching record (paging aside) streamed as CSV, one "
            "column per field and per token; Accept: text/csv does the same.",
        ),
    ] = None,
) -> ListQuery:
    """The FastAPI dependency: types and bounds are checked by FastAPI (422 naming the
    field), TrackDrive's time format here."""
    times: dict[str, datetime | None] = {}
    errors: dict[str, list[str]] = {}
    for name, raw in (("created_at_from", created_at_from), ("created_at_to", created_at_to)):
        times[name] = None
        if raw is not None and raw.strip():
            try:
                times[name] = parse_time(raw)
            except ValueError as exc:
                errors[name] = [str(exc)]
    if errors:
        raise TrackDriveError.invalid(errors)
    return ListQuery(
        page=page,
        per_page=per_page,
        cursor=cursor,
        created_at_from=times["created_at_from"],
        created_at_to=times["created_at_to"],
        order=(order or "").strip() or None,
        order_dir=order_dir,
        fulltext=(fulltext or "").strip() or None,
        columns=parse_columns(columns),
        serializer=(serializer or "").strip() or None,
        csv=format_ == "csv",
    )


def _sent_list_query(
    request: Request, query: Annotated[ListQuery, Depends(list_query)]
) -> ListQuery:
    """:func:`list_query` with every parameter as sent, for the resource's filters; an
    ``Accept`` that names CSV (and no ``format=json``) asks for CSV too."""
    asked = request.query_params.get("format")
    accepts_csv = "text/csv" in request.headers.get("accept", "").lower() and asked != "json"
    return replace(
        query, params=tuple(request.query_params.multi_items()), csv=query.csv or accepts_csv
    )


ListQueryDep = Annotated[ListQuery, Depends(_sent_list_query)]
