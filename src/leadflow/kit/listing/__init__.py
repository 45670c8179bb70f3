"""The one listing convention of every TrackDrive list endpoint.

``page``/``per_page`` or cursor paging, ``created_at_from``/``created_at_to``, ``order`` and
``order_dir``, ``fulltext``, ``columns``, ``serializer`` and ``format=csv``. An endpoint takes
:data:`ListQueryDep`, its resource states a :class:`ListSpec`, and :func:`fetch` runs both
against the endpoint's company-scoped ``select`` (:func:`csv_export` answers ``format=csv``
with every matching row, streamed). Nothing here knows a particular resource.

- :mod:`.query`: the request's parameters, parsed;
- :mod:`.spec`: a resource's offer and a request checked against it;
- :mod:`.statements`: the SQL of a page;
- :mod:`.fetch`: one page, fetched and shaped;
- :mod:`.export`: every matching row, streamed as CSV in constant memory.
"""

from leadflow.kit.listing.export import csv_export, with_csv
from leadflow.kit.listing.fetch import ListPage, fetch, shape_rows
from leadflow.kit.listing.query import (
    DEFAULT_PER_PAGE,
    LAST_CURSOR,
    LIST_PARAMS,
    MAX_ID,
    MAX_PAGE,
    MAX_PER_PAGE,
    START_CURSOR,
    TIME_HELP,
    UNKNOWN,
    Direction,
    ListQuery,
    ListQueryDep,
    list_query,
    parse_columns,
)
from leadflow.kit.listing.spec import (
    Computed,
    Filter,
    ListPlan,
    ListSpec,
    choice_filter,
    id_filter,
    listed_item,
    narrowed,
    plan,
    selected,
    text_filter,
)
from leadflow.kit.listing.statements import ListStatements, statements

__all__ = [
    "DEFAULT_PER_PAGE",
    "LAST_CURSOR",
    "LIST_PARAMS",
    "MAX_ID",
    "MAX_PAGE",
    "MAX_PER_PAGE",
    "START_CURSOR",
    "TIME_HELP",
    "UNKNOWN",
    "Computed",
    "Direction",
    "Filter",
    "ListPage",
    "ListPlan",
    "ListQuery",
    "ListQueryDep",
    "ListSpec",
    "ListStatements",
    "choice_filter",
    "csv_export",
    "fetch",
    "id_filter",
    "list_query",
    "listed_item",
    "narrowed",
    "parse_columns",
    "plan",
    "selected",
    "shape_rows",
    "statements",
    "text_filter",
    "with_csv",
]
