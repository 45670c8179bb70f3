"""A router schedule's distributions as :mod:`leadflow.distributions.matching` reads them.

Plain SQL over the :class:`~leadflow.db.statements.Sql` protocol so the lead intake batch and
``make_call`` can resolve a router inside the transaction they already hold, on either engine,
without the ORM's per-statement cost. The CRUD endpoints use the ORM; both read the same rows.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from leadflow.calls import guards
from leadflow.db.repository import CompanyRepository
from leadflow.db.statements import Row, Sql
from leadflow.distributions import matching
from leadflow.models import Distribution, Schedule
from leadflow.models.schedule import CONTACT_CALLER

# Only targets that are still the company's caller schedules: a target later turned into a
# router (or a row pointing across companies, which the API never writes) routes nothing.
_ROUTES = (
    "SELECT d.id, d.target_schedule_id, d.priority, d.weight, d.conditions,"
    " d.name AS distribution_name, r.name AS router_name,"
    " t.offer_id AS target_offer_id, t.paused AS target_paused,"
    " t.lead_duplicate_timeframe AS target_duplicate_timeframe"
    " FROM distributions d JOIN schedules t"
    " ON t.id = d.target_schedule_id AND t.company_id = d.company_id"
    f" AND t.schedule_type = '{CONTACT_CALLER}'"
    " JOIN schedules r ON r.id = d.schedule_id"
    " WHERE d.company_id = :company_id AND d.schedule_id = :schedule_id ORDER BY d.id"
)


@dataclass(frozen=True)
class RouteTarget:
    """Where a routed lead goes: the distribution chosen and its target schedule as intake
    needs it (the lead is enrolled exactly as if it had been posted to the target)."""

    distribution_id: int
    schedule_id: int
    offer_id: int
    paused: bool
    duplicate_timeframe: int
    # For the routed lead's timeline: which router and distribution, as the user named them.
    distribution_name: str = ""
    router_name: str = ""


def _conditions(stored: Any) -> tuple[matching.Condition, ...]:
    """The stored JSON list as matching's conditions (lists of values as tuples)."""
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
    """Every distribution of the company's router ``schedule_id`` whose target is one of the
    company's ``contact_caller`` schedules, in id order (empty for a schedule that is not the
    company's or has none)."""
    return [to_distribution(row) for row in _rows(sql, company_id, schedule_id)]


def _rows(sql: Sql, company_id: int, schedule_id: int) -> list[Row]:
    return sql.all(_ROUTES, company_id=company_id, schedule_id=schedule_id)


def router_targets(sql: Sql, company_id: int, schedule_id: int) -> list[tuple[int, int]]:
    """``(schedule_id, offer_id)`` of every schedule the router feeds, in schedule id order:
    where its leads are, for the operations that look a lead up by the router's token."""
    targets = {
        (int(row["target_schedule_id"]), int(row["target_offer_id"]))
        for row in _rows(sql, company_id, schedule_id)
    }
    return sorted(targets)


def resolve_target(
    sql: Sql,
    company_id: int,
    schedule_id: int,
    data: Mapping[str, Any],
    rng: random.Random,
) -> RouteTarget:
    """The distribution ``data`` goes to and its target, in one query; the
    ``no_matching_distribution`` 422 when none matches."""
    rows = {int(row["id"]): row for row in _rows(sql, company_id, schedule_id)}
    routes = [to_distribution(row) for row in rows.values()]
    chosen = matching.pick_distribution(routes, data, rng)
    if chosen is None:
        raise guards.as_error(guards.no_matching_distribution())
    row = rows[chosen.id]
    return RouteTarget(
        distribution_id=chosen.id,
        schedule_id=chosen.target_schedule_id,
        offer_id=int(row["target_offer_id"]),
        paused=bool(row["target_paused"]),
        duplicate_timeframe=int(row["target_duplicate_timeframe"] or 0),
        distribution_name=str(row["distribution_name"] or ""),
        router_name=str(row["router_name"] or ""),
    )


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
    return resolve_target(sql, company_id, schedule_id, data, rng).schedule_id


class ScheduleRepository(CompanyRepository[Schedule]):
    model = Schedule


class DistributionRepository(CompanyRepository[Distribution]):
    """A router's distributions: ``scoped`` is both the company and the parent schedule, so a
    distribution is only reachable under the schedule it belongs to."""

    model = Distribution

    def __init__(self, session: AsyncSession, company_id: int, schedule_id: int) -> None:
        super().__init__(session, company_id)
        self.schedule_id = schedule_id

    def scoped(self) -> Select[Distribution]:
        return select(Distribution).where(
            Distribution.company_id == self.company_id,
            Distribution.schedule_id == self.schedule_id,
        )
