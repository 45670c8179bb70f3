"""What a resource offers to list (:class:`ListSpec`) and a request checked against it
(:func:`plan`): its filters, order, serializer and columns.

A resource declares its filters (``ListSpec.filters``: ``status=waiting``, ``offer_id=3``) and
any parameter its endpoint reads itself (``ListSpec.params``); a query parameter that is none of
those nor a listing or global one is answered 422 ``{"<param>": ["unknown parameter"]}``, so a
mistyped filter never silently returns every row.
"""

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Optional

from pydantic import BaseModel, create_model
from sqlalchemy import ColumnElement

from leadflow.kit.errors import TrackDriveError
from leadflow.kit.fulltext import FullText, TextColumns
from leadflow.kit.listing.query import LIST_PARAMS, MAX_ID, UNKNOWN, ListQuery


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


def choice_filter(column: str, choices: Iterable[str]) -> Filter:
    """A filter on a column holding one of ``choices``: any other value is a 422 naming
    them, not an empty list that reads as "no such leads"."""
    allowed = tuple(choices)

    def parse(text: str) -> str:
        value = _word(text)
        if value not in allowed:
            raise ValueError(f"must be one of: {', '.join(allowed)}")
        return value

    return Filter(column, parse)


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
    # Fields whose object value a CSV export spreads into one column per key (tokens), each
    # with the JSON column it reads: ``{"data": "tokens"}``.
    spread: Mapping[str, str] = field(default_factory=dict)

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
