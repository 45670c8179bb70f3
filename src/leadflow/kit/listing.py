"""The one listing convention of every TrackDrive list endpoint (no postponed annotations:
FastAPI reads this module's dependency signature at runtime).

``page``/``per_page`` or cursor paging, ``created_at_from``/``created_at_to``, ``order`` and
``order_dir``, ``fulltext``, ``columns`` and ``serializer``. An endpoint takes :data:`ListQueryDep`,
its resource states a :class:`ListSpec`, and :func:`fetch` runs both against the endpoint's
company-scoped ``select``. Nothing here knows a particular resource.

A resource declares its filters (``ListSpec.filters``: ``status=waiting``, ``offer_id=3``) and
any parameter its endpoint reads itself (``ListSpec.params``); a query parameter that is none of
those nor a listing or global one is answered 422 ``{"<param>": ["unknown parameter"]}``, so a
mistyped filter never silently returns every row.

Cursor paging is keyset paging on ``id`` (``id > cursor`` ascending, ``id < cursor``
descending), so a page deep into a million leads costs what the first one does, and a row
inserted while a script pages is neither skipped nor repeated. ``columns`` selects only the
columns the named fields need, and only those fields are computed.
"""

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cache
from typing import Annotated, Any, Literal, Optional

from fastapi import Depends, Query, Request
from pydantic import BaseModel, create_model
from sqlalchemy import ColumnElement, Select, and_, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import BooleanClauseList
from sqlalchemy.sql.operators import and_ as and_operator

from leadflow.kit.errors import TrackDriveError
from leadflow.kit.fulltext import MAX_FULLTEXT_LENGTH, FullText, TextColumns, search_terms
from leadflow.kit.values import parse_time

DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 500
START_CURSOR = -1
LAST_CURSOR = 0
MAX_PAGE = 2_147_483_647
MAX_ID = 2**63 - 1
# How likely SQLite is told a scoping term is true when a full-text index leads the plan.
_UNSELECTIVE: ColumnElement[Any] = literal_column("0.99")

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
    )


def _sent_list_query(
    request: Request, query: Annotated[ListQuery, Depends(list_query)]
) -> ListQuery:
    """:func:`list_query` with every parameter as sent, for the resource's filters."""
    return replace(query, params=tuple(request.query_params.multi_items()))


ListQueryDep = Annotated[ListQuery, Depends(_sent_list_query)]


@dataclass(frozen=True)
class Computed:
    """An output field worked out from selected values (model columns or named expressions)
    rather than read from one column."""

    needs: tuple[str, ...]
    value: Callable[[Mapping[str, Any]], Any]


@dataclass(frozen=True)
class Filter:
    """``name=value`` on a list keeps the rows whose ``column`` equals the value, read by
    ``parse`` (which raises ValueError with the message to show). Several values of one name
    (``status=waiting&status=scheduled``) keep rows matching any of them."""

    column: str
    parse: Callable[[str], Any] = str


def _id(text: str) -> int:
    value = text.strip()
    if not (value.isascii() and value.isdigit()) or not 0 < int(value) <= MAX_ID:
        raise ValueError("must be a record id")
    return int(value)


def _word(text: str) -> str:
    value = text.replace("\x00", "").strip()
    if not value:
        raise ValueError("can't be blank")
    return value


def id_filter(column: str) -> Filter:
    return Filter(column, _id)


def text_filter(column: str) -> Filter:
    return Filter(column, _word)


@dataclass(frozen=True)
class ListSpec:
    """What a resource offers to list. ``serializers`` name its shapes, the first being the
    default; every field of a shape is a model column of that name, a ``computed`` field, or
    a named SQL ``expressions`` entry (a correlated subquery, say)."""

    model: Any
    serializers: Mapping[str, type[BaseModel]]
    sortable: tuple[str, ...] = ("id", "created_at", "updated_at")
    fulltext: FullText = field(default_factory=lambda: TextColumns(()))
    computed: Mapping[str, Computed] = field(default_factory=dict)
    expressions: Mapping[str, ColumnElement[Any]] = field(default_factory=dict)
    filters: Mapping[str, Filter] = field(default_factory=dict)
    # Query parameters the endpoint reads itself (e.g. ``archived``), so they are not unknown.
    params: tuple[str, ...] = ()

    def source(self, name: str) -> ColumnElement[Any]:
        if name in self.expressions:
            return self.expressions[name]
        column: ColumnElement[Any] = getattr(self.model, name)
        return column


@dataclass(frozen=True)
class ListPlan:
    """A query checked against a spec: the shape to build and the order to build it in."""

    query: ListQuery
    shape: type[BaseModel]
    fields: tuple[str, ...]
    order: str
    where: tuple[ColumnElement[bool], ...] = ()

    @property
    def descending(self) -> bool:
        return self.query.order_dir == "desc"

    @property
    def cursor_mode(self) -> bool:
        return self.query.cursor is not None


def _unknown(param: str, bad: Sequence[str], allowed: Sequence[str]) -> TrackDriveError:
    listed = ", ".join(sorted(allowed))
    return TrackDriveError.field(param, f"{', '.join(bad)} is not allowed; allowed: {listed}")


def plan(spec: ListSpec, query: ListQuery) -> ListPlan:
    """Check ``order``, ``serializer`` and ``columns`` against the resource; 422 names the
    bad value and the allowed ones."""
    errors: dict[str, list[str]] = {}
    order = query.order or "id"
    if order not in spec.sortable:
        errors.update(_unknown("order", [order], spec.sortable).errors)
    elif query.cursor is not None and order != "id":
        errors["order"] = [f"cursor paging runs in id order; use page to sort by {order}"]
    name = query.serializer or next(iter(spec.serializers))
    serializer = spec.serializers.get(name)
    if serializer is None:
        errors.update(_unknown("serializer", [name], list(spec.serializers)).errors)
        serializer = next(iter(spec.serializers.values()))
    available = tuple(serializer.model_fields)
    fields = query.columns or available
    bad = [column for column in fields if column not in available]
    if bad:
        errors.update(_unknown("columns", bad, available).errors)
    where = _filtered(spec, query.params, errors)
    if errors:
        raise TrackDriveError.invalid(errors)
    return ListPlan(
        query=query, shape=narrowed(serializer, fields), fields=fields, order=order, where=where
    )


def _filtered(
    spec: ListSpec, params: Sequence[tuple[str, str]], errors: dict[str, list[str]]
) -> tuple[ColumnElement[bool], ...]:
    """The resource's filters as WHERE terms; unknown names and bad values go to ``errors``."""
    values: dict[str, list[Any]] = {}
    for name, raw in params:
        if name in spec.filters:
            if not raw.strip():
                continue
            try:
                values.setdefault(name, []).append(spec.filters[name].parse(raw))
            except ValueError as exc:
                errors[name] = [str(exc)]
        elif name not in LIST_PARAMS and name not in spec.params:
            errors[name] = [UNKNOWN]
    terms: list[ColumnElement[bool]] = []
    for name, wanted in values.items():
        column = spec.source(spec.filters[name].column)
        terms.append(column == wanted[0] if len(wanted) == 1 else column.in_(wanted))
    return tuple(terms)


@cache
def narrowed(serializer: type[BaseModel], fields: tuple[str, ...]) -> type[BaseModel]:
    """The serializer itself, or a model of only ``fields`` with the same types, so that a
    value is rendered the same way whether or not ``columns`` was given."""
    if fields == tuple(serializer.model_fields):
        return serializer
    definitions: dict[str, Any] = {
        name: (serializer.model_fields[name].annotation, serializer.model_fields[name])
        for name in fields
    }
    model: type[BaseModel] = create_model(f"{serializer.__name__}Columns", **definitions)
    return model


def selected(spec: ListSpec, fields: Sequence[str]) -> tuple[str, ...]:
    """The values to select for ``fields``: their columns, what computed fields need, and the
    id (the cursor)."""
    names: dict[str, None] = {"id": None}
    for name in fields:
        for need in spec.computed[name].needs if name in spec.computed else (name,):
            names[need] = None
    return tuple(names)


@dataclass(frozen=True)
class ListStatements:
    rows: Select[Any]
    count: Select[Any] | None


def _terms(clause: ColumnElement[bool] | None) -> list[ColumnElement[bool]]:
    if clause is None:
        return []
    if isinstance(clause, BooleanClauseList) and clause.operator is and_operator:
        return [term for part in clause.clauses for term in _terms(part)]
    return [clause]


def _unselective(term: ColumnElement[bool]) -> ColumnElement[Any]:
    """``likelihood(term, 0.99)``: SQLite without statistics takes ``company_id = ?`` to pick
    about ten rows, so it would fetch a company's million leads through that index and sort
    them rather than walk the primary key (or the full-text hits) and check each. On SQLite,
    a company's rows are most of the table, and this says so."""
    return func.likelihood(term, _UNSELECTIVE)


def statements(
    spec: ListSpec, listing: ListPlan, base: Select[Any], *, dialect: str, region: str = "US"
) -> ListStatements:
    """Apply the plan to ``base`` (the resource's scoped ``select``, whose WHERE is kept):
    the statement for the rows (one extra in cursor mode, to know whether another page
    follows) and, in page mode, the one for ``total_count``."""
    query, model = listing.query, spec.model
    scope = _terms(base.whereclause)
    filters: list[ColumnElement[bool]] = list(listing.where)
    if query.created_at_from is not None:
        filters.append(model.created_at >= query.created_at_from)
    if query.created_at_to is not None:
        filters.append(model.created_at <= query.created_at_to)
    if listing.cursor_mode and query.cursor is not None and query.cursor > 0:
        filters.append(model.id < query.cursor if listing.descending else model.id > query.cursor)
    terms = search_terms(query.fulltext, region)
    match = spec.fulltext.match(model, terms, dialect) if terms else None
    where: list[ColumnElement[Any]] = []
    if dialect == "sqlite":
        where.extend(_unselective(term) for term in scope)
        drives = match is not None and match.drives
        where.extend(_unselective(term) if drives else term for term in filters)
    else:
        where.extend([*scope, *filters])
    if match is not None:
        where.append(match.clause)
    condition = and_(*where) if where else None

    columns = [spec.source(name).label(name) for name in selected(spec, listing.fields)]
    rows = select(*columns).select_from(model)
    count = select(func.count()).select_from(model)
    if condition is not None:
        rows, count = rows.where(condition), count.where(condition)
    direction: Callable[[ColumnElement[Any]], ColumnElement[Any]] = (
        (lambda c: c.desc()) if listing.descending else (lambda c: c.asc())
    )
    order = [direction(spec.source(listing.order))]
    if listing.order != "id":
        order.append(direction(model.id))
    rows = rows.order_by(*order)
    if listing.cursor_mode:
        return ListStatements(rows.limit(query.per_page + 1), None)
    offset = (query.page - 1) * query.per_page
    return ListStatements(rows.limit(query.per_page).offset(offset), count)


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


@cache
def listed_item(serializer: type[BaseModel]) -> type[BaseModel]:
    """The documented shape of one listed record: the serializer's fields, none of them
    required, since ``columns`` may leave any of them out."""
    definitions: dict[str, Any] = {
        name: (Optional[info.annotation], None)  # noqa: UP045
        for name, info in serializer.model_fields.items()
    }
    model: type[BaseModel] = create_model(f"{serializer.__name__}Listed", **definitions)
    return model
