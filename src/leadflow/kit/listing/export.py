"""Every matching row of a listing, streamed as CSV in constant memory.

The export is the listing's cursor paging run to the end: the same plan (filters,
``created_at`` range, ``fulltext``, ``columns``, ``serializer``), fetched :data:`BATCH` rows
at a time by keyset on ``id``, each batch in a short session of its own. No transaction stays
open for the length of a download (on SQLite a long reader would stop the WAL from being
checkpointed), and memory holds one batch and one chunk, whatever the row count.

A field named in :attr:`ListSpec.spread <leadflow.kit.listing.spec.ListSpec.spread>` (a lead's
``data``) becomes one column per key found in the matching rows, found by one query before the
first row; a key that is also a field's name is written ``data.<key>``. Beyond
:data:`MAX_SPREAD_COLUMNS` distinct keys, the field stays one column of JSON instead.
"""

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Select, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.responses import StreamingResponse

from leadflow.kit.csv_writer import csv_chunks, csv_response
from leadflow.kit.errors import TrackDriveError
from leadflow.kit.listing.fetch import shape_rows
from leadflow.kit.listing.query import START_CURSOR, ListQuery
from leadflow.kit.listing.spec import ListPlan, ListSpec, plan
from leadflow.kit.listing.statements import statements

BATCH = 2000
"""Rows per keyset step: large enough that a step's query cost is spread thin."""
MAX_SPREAD_COLUMNS = 1000
"""Distinct token keys spread into columns at most (a company's posters choose the keys)."""
CSV_CONTENT: dict[str, Any] = {"text/csv": {"schema": {"type": "string"}}}


def with_csv(documented: dict[str, Any]) -> dict[str, Any]:
    """A listing's route keyword arguments (``envelope.documented``) that also publish its
    ``format=csv`` answer."""
    responses = dict(documented["responses"])
    responses[200] = {**responses[200], "content": CSV_CONTENT}
    return {**documented, "responses": responses}


@dataclass(frozen=True)
class _Layout:
    """The CSV's columns: each listed field, or the keys a spread field was split into."""

    header: tuple[str, ...]
    fields: tuple[str, ...]
    keys: Mapping[str, tuple[str, ...]]

    def values(self, item: Mapping[str, Any]) -> list[Any]:
        out: list[Any] = []
        for name in self.fields:
            if name in self.keys:
                spread = item.get(name) or {}
                out.extend(spread.get(key) for key in self.keys[name])
            else:
                out.append(item.get(name))
        return out


def _layout(fields: Sequence[str], keys: Mapping[str, tuple[str, ...]]) -> _Layout:
    header: list[str] = []
    for name in fields:
        if name in keys:
            header.extend(f"{name}.{key}" if key in fields else key for key in keys[name])
        else:
            header.append(name)
    return _Layout(tuple(header), tuple(fields), keys)


def csv_export(
    sessionmaker: async_sessionmaker[AsyncSession],
    spec: ListSpec,
    query: ListQuery,
    base: Select[Any],
    *,
    filename: str,
    region: str = "US",
) -> StreamingResponse:
    """The whole filtered listing as a CSV download. Parameters are checked before the
    first byte leaves, so a bad one is still a 422; ``page``, ``per_page`` and ``cursor``
    do not apply (every row is exported), and the order is ``id`` (``order_dir`` applies)."""
    if (query.order or "id") != "id":
        raise TrackDriveError.field("order", "a CSV export runs in id order; use order_dir")
    listing = plan(spec, replace(query, cursor=START_CURSOR, per_page=BATCH, order=None))
    return csv_response(_chunks(sessionmaker, spec, listing, base, region), filename)


async def _chunks(
    sessionmaker: async_sessionmaker[AsyncSession],
    spec: ListSpec,
    listing: ListPlan,
    base: Select[Any],
    region: str,
) -> AsyncIterator[bytes]:
    async with sessionmaker() as session:
        dialect = session.get_bind().dialect.name
        keys: dict[str, tuple[str, ...]] = {}
        for name in listing.fields:
            if name in spec.spread:
                found = await _spread_keys(session, spec, listing, base, name, dialect, region)
                if len(found) <= MAX_SPREAD_COLUMNS:
                    keys[name] = found
    layout = _layout(listing.fields, keys)
    rows = _rows(sessionmaker, spec, listing, base, dialect, region, layout)
    async for chunk in csv_chunks(layout.header, rows):
        yield chunk


async def _rows(
    sessionmaker: async_sessionmaker[AsyncSession],
    spec: ListSpec,
    listing: ListPlan,
    base: Select[Any],
    dialect: str,
    region: str,
    layout: _Layout,
) -> AsyncIterator[list[Any]]:
    cursor = START_CURSOR
    while True:
        step = replace(listing, query=replace(listing.query, cursor=cursor))
        built = statements(spec, step, base, dialect=dialect, region=region)
        async with sessionmaker() as session:
            rows = (await session.execute(built.rows)).mappings().all()
        batch = rows[:BATCH]
        for item in shape_rows(spec, step, batch):
            yield layout.values(item.model_dump(mode="json"))
        if len(rows) <= BATCH:
            return
        cursor = int(batch[-1]["id"])


async def _spread_keys(
    session: AsyncSession,
    spec: ListSpec,
    listing: ListPlan,
    base: Select[Any],
    name: str,
    dialect: str,
    region: str,
) -> tuple[str, ...]:
    """The distinct keys of field ``name``'s object over every matching row, sorted (at most
    one more than :data:`MAX_SPREAD_COLUMNS`, to know there are too many)."""
    built = statements(spec, listing, base, dialect=dialect, region=region)
    matching = built.rows.limit(None).offset(None).order_by(None).subquery()
    column = matching.c[spec.spread[name]]
    each_name = "jsonb_each" if dialect == "postgresql" else "json_each"
    each = getattr(func, each_name)(column).table_valued("key", "value")
    stmt = (
        select(each.c.key)
        .select_from(matching.join(each, true()))
        .distinct()
        .order_by(each.c.key)
        .limit(MAX_SPREAD_COLUMNS + 1)
    )
    return tuple(str(key) for key in (await session.scalars(stmt)).all())
