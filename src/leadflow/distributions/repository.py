"""A router schedule's distributions as :mod:`leadflow.distributions.matching` reads them.

Plain SQL over the :class:`~leadflow.db.statements.Sql` protocol so the lead intake batch and
``make_call`` can resolve a router inside the transaction they already hold, on either engine,
without the ORM's per-statement cost. The CRUD endpoints use the ORM; both read the same rows.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

import orjson

from leadflow.calls import guards
from leadflow.db.statements import Row, Sql
from leadflow.distributions import matching

_ROUTES = (
    "SELECT id, target_schedule_id, priority, weight, conditions FROM distributions"
    " WHERE company_id = :company_id AND schedule_id = :schedule_id ORDER BY id"
)


def _conditions(stored: Any) -> tuple[matching.Condition, ...]:
    """The JSON list as stored; SQLite hands it back as text (the column is not one the
    ``Sql`` layer decodes), PostgreSQL as a decoded list."""
    if isinstance(stored, str | bytes):
        stored = orjson.loads(stored)
    conditions = []
    for item in stored or ():
        value = item.get("value")
        if isinstance(value, list):
            value = tuple(value)
        conditions.append(matching.Condition(item["field"], item["operator"], value))
    return tuple(conditions)


def to_distribution(row: Row) -> matching.Distribution:
    return matching.Distribution(
        id=int(row["id"]),
        target_schedule_id=int(row["target_schedule_id"]),
        priority=int(row["priority"]),
        weight=max(1, int(row["weight"])),
        conditions=_conditions(row["conditions"]),
    )


def load_routes(sql: Sql, company_id: int, schedule_id: int) -> list[matching.Distribution]:
    """Every distribution of the company's router ``schedule_id``, in id order (empty for a
    schedule that is not the company's or has none)."""
    rows = sql.all(_ROUTES, company_id=company_id, schedule_id=schedule_id)
    return [to_distribution(row) for row in rows]


def pick_route(
    sql: Sql,
    company_id: int,
    schedule_id: int,
    data: Mapping[str, Any],
    rng: random.Random,
) -> matching.Distribution:
    """The distribution ``data`` goes to; the ``no_matching_distribution`` 422 when none."""
    chosen = matching.pick_distribution(load_routes(sql, company_id, schedule_id), data, rng)
    if chosen is None:
        raise guards.as_error(guards.no_matching_distribution())
    return chosen


def resolve_route(
    sql: Sql,
    company_id: int,
    schedule_id: int,
    data: Mapping[str, Any],
    rng: random.Random,
) -> int:
    """The target schedule id a lead or call on router ``schedule_id`` goes to.

    ``data`` is what :func:`leadflow.distributions.matching.routing_data` builds. Raises the
    ``no_matching_distribution`` 422 (``calls.guards``) when no distribution matches.
    """
    return pick_route(sql, company_id, schedule_id, data, rng).target_schedule_id
