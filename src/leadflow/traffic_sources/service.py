"""Rules of a traffic source that the generic CRUD does not know: one source per publisher id
per company, and archiving instead of deleting (history is never rewritten)."""

from __future__ import annotations

from datetime import datetime

from leadflow.kit.errors import TrackDriveError
from leadflow.models import TrafficSource
from leadflow.traffic_sources.repository import TrafficSourceRepository

TAKEN = "is already used by traffic source {id}"


async def check_user_id_free(
    repo: TrafficSourceRepository, user_traffic_source_id: str | None, row_id: int | None
) -> None:
    """422 naming ``user_traffic_source_id`` when another source of the company (archived
    ones included: they keep resolving) already answers to it."""
    if user_traffic_source_id is None:
        return
    holder = await repo.holder_of(user_traffic_source_id)
    if holder is not None and holder.id != row_id:
        raise TrackDriveError.field("user_traffic_source_id", TAKEN.format(id=holder.id))


def archive(row: TrafficSource, now: datetime) -> None:
    """Hide the source from lists and pickers; its leads and calls keep pointing at it."""
    if row.archived_at is None:
        row.archived_at = now
        row.updated_at = now
