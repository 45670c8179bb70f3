"""The rules of ``/api/v1/schedules/:id/distributions``: which schedules may hold
distributions and which they may point at. No commits here; the request dependency commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from leadflow.distributions.matching import validate_target
from leadflow.distributions.repository import ScheduleRepository
from leadflow.distributions.schemas import DistributionCreate, DistributionUpdate
from leadflow.kit.errors import TrackDriveError
from leadflow.models import Distribution, Schedule
from leadflow.models.schedule import LEAD_DISTRIBUTION


async def router_schedule(session: AsyncSession, company_id: int, ref: str) -> Schedule:
    """The parent schedule: 404 when it is not the company's, 422 on ``schedule_id`` when it is
    not a router (only ``lead_distribution`` schedules distribute)."""
    schedule = await ScheduleRepository(session, company_id).get(ref)
    if schedule is None:
        raise TrackDriveError.not_found("schedule")
    if schedule.schedule_type != LEAD_DISTRIBUTION:
        raise TrackDriveError.field(
            "schedule_id", f"must be a {LEAD_DISTRIBUTION} schedule to have distributions"
        )
    return schedule


async def _check_target(
    session: AsyncSession, company_id: int, router: Schedule, target_id: int
) -> None:
    target = await ScheduleRepository(session, company_id).get(target_id)
    if target is None:
        raise TrackDriveError.field("target_schedule_id", "is not one of your schedules")
    validate_target(router.schedule_type, target.schedule_type)


def _stored(conditions: list[Any]) -> list[dict[str, Any]]:
    return [condition.model_dump() for condition in conditions]


async def create_distribution(
    session: AsyncSession, router: Schedule, body: DistributionCreate, now: datetime
) -> Distribution:
    await _check_target(session, router.company_id, router, body.target_schedule_id)
    row = Distribution(
        company_id=router.company_id,
        schedule_id=router.id,
        target_schedule_id=body.target_schedule_id,
        name=body.name,
        priority=body.priority,
        weight=body.weight,
        conditions=_stored(body.conditions),
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    return row


async def update_distribution(
    session: AsyncSession,
    router: Schedule,
    row: Distribution,
    body: DistributionUpdate,
    now: datetime,
) -> Distribution:
    """Only the fields sent change; a field sent as null is refused (each one named), since
    none of them may be blank."""
    changes = body.model_dump(exclude_unset=True)
    blank = sorted(name for name, value in changes.items() if value is None)
    if blank:
        raise TrackDriveError.invalid({name: ["can't be blank"] for name in blank})
    if "target_schedule_id" in changes:
        await _check_target(session, router.company_id, router, changes["target_schedule_id"])
    if body.conditions is not None:
        changes["conditions"] = _stored(body.conditions)
    for name, value in changes.items():
        setattr(row, name, value)
    row.updated_at = now
    return row
