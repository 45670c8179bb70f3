from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from leadflow.companies.keys import new_lead_token
from leadflow.kit.auth import Principal
from leadflow.kit.crud import Resource, crud_router
from leadflow.kit.errors import TrackDriveError
from leadflow.kit.fulltext import TextColumns
from leadflow.kit.listing import ListSpec, id_filter, text_filter
from leadflow.models import Schedule
from leadflow.offers.repository import OfferRepository
from leadflow.schedules.actions import check_webhook_urls
from leadflow.schedules.repository import ScheduleRepository
from leadflow.schedules.schemas import ScheduleCreate, ScheduleOut, ScheduleUpdate


async def offer_is_own(
    session: AsyncSession, principal: Principal, values: dict[str, Any]
) -> dict[str, Any]:
    """A schedule may only hang under an offer of the same company."""
    if "offer_id" in values and (
        await OfferRepository(session, principal.company_id).get(values["offer_id"]) is None
    ):
        raise TrackDriveError.field("offer_id", "must be one of your offers")
    return values


router = crud_router(
    Resource(
        name="schedules",
        root="schedule",
        roots="schedules",
        repository=ScheduleRepository,
        create=ScheduleCreate,
        update=ScheduleUpdate,
        out=ScheduleOut,
        defaults=lambda: {
            "leads_api_key": new_lead_token(),
            "actions": [],
            "calling_hours": {},
            "end_actions": [],
            "dial_order": "fifo",
        },
        rules=[offer_is_own],
        settings_checks=[check_webhook_urls],
        holds_lead_tokens=True,
        listing=ListSpec(
            model=Schedule,
            serializers={"schedule": ScheduleOut},
            sortable=("id", "name", "offer_id", "sortable_order", "created_at", "updated_at"),
            fulltext=TextColumns(("name", "description")),
            filters={
                "offer_id": id_filter("offer_id"),
                "schedule_type": text_filter("schedule_type"),
            },
        ),
    )
)
