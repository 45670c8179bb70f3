"""A checked listing as SQL: the rows of a page (or of a cursor step) and their count.

Cursor paging is keyset paging on ``id`` (``id > cursor`` ascending, ``id < cursor``
descending), so a page deep into a million leads costs what the first one does, and a row
inserted while a script pages is neither skipped nor repeated. ``columns`` selects only the
columns the named fields need.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, literal_column, select
from sqlalchemy.sql.elements import BooleanClauseList
from sqlalchemy.sql.operators import and_ as and_operator

from leadflow.kit.fulltext import search_terms
from leadflow.kit.listing.spec import ListPlan, ListSpec, selected

# How likely SQLite is told a scoping term is true when a full-text index leads the plan.
_UNSELECTIVE: ColumnElement[Any] = literal_column("0.99")


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
