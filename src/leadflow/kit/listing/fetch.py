"""One page of a listing, fetched and shaped: only the requested fields are computed."""

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from leadflow.kit.listing.query import LAST_CURSOR, ListQuery
from leadflow.kit.listing.spec import ListPlan, ListSpec, plan
from leadflow.kit.listing.statements import statements


@dataclass(frozen=True)
class ListPage:
    items: list[BaseModel]
    metadata: dict[str, Any]


def shape_rows(
    spec: ListSpec, listing: ListPlan, rows: Sequence[Mapping[str, Any]]
) -> list[BaseModel]:
    """Build only the requested fields of each row, in the serializer's own types."""
    out = []
    for row in rows:
        values = {
            name: spec.computed[name].value(row) if name in spec.computed else row[name]
            for name in listing.fields
        }
        out.append(listing.shape.model_validate(values))
    return out


async def fetch(
    session: AsyncSession,
    spec: ListSpec,
    query: ListQuery,
    base: Select[Any],
    *,
    region: str = "US",
    kept_total: Callable[[], Awaitable[int | None]] | None = None,
) -> ListPage:
    """One page of ``base`` under the listing convention, with its ``metadata``.

    ``kept_total`` may answer ``total_count`` of the unfiltered list from a count the database
    keeps (``None``: count the rows)."""
    listing = plan(spec, query)
    if listing.cursor_mode and query.cursor == LAST_CURSOR:
        return ListPage([], {"per_page": query.per_page, "next_cursor": LAST_CURSOR})
    dialect = session.get_bind().dialect.name
    built = statements(spec, listing, base, dialect=dialect, region=region)
    rows = list((await session.execute(built.rows)).mappings().all())
    if built.count is None:
        more = len(rows) > query.per_page
        rows = rows[: query.per_page]
        next_cursor = int(rows[-1]["id"]) if more else LAST_CURSOR
        metadata: dict[str, Any] = {"per_page": query.per_page, "next_cursor": next_cursor}
    else:
        unfiltered = (
            not listing.where
            and query.created_at_from is None
            and query.created_at_to is None
            and not (query.fulltext or "").strip()
        )
        total = await kept_total() if kept_total is not None and unfiltered else None
        if total is None:
            total = int((await session.execute(built.count)).scalar_one())
        metadata = {"page": query.page, "per_page": query.per_page, "total_count": total}
    return ListPage(shape_rows(spec, listing, rows), metadata)
