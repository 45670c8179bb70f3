from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from leadflow.companies.keys import new_lead_token
from leadflow.kit.auth import Principal
from leadflow.kit.crud import Resource, crud_router
from leadflow.kit.errors import TrackDriveError
from leadflow.kit.fulltext import TextColumns
from leadflow.kit.listing import ListSpec
from leadflow.kit.phone import InvalidPhoneNumberError, to_e164
from leadflow.models import Offer
from leadflow.offers.repository import OfferRepository
from leadflow.offers.schemas import OfferCreate, OfferOut, OfferUpdate


async def destination_is_e164(
    session: AsyncSession, principal: Principal, values: dict[str, Any]
) -> dict[str, Any]:
    """The destination number stored as E.164, read in the company's region (as intake reads
    caller IDs); it is dialed, so it must be a valid number. Blank clears it."""
    if "destination_number" not in values:
        return values
    raw = values["destination_number"]
    if raw is None or not str(raw).strip():
        return {**values, "destination_number": None}
    try:
        number = to_e164(str(raw), principal.default_region)
    except InvalidPhoneNumberError as exc:
        raise TrackDriveError.field("destination_number", str(exc)) from None
    return {**values, "destination_number": number}


router = crud_router(
    Resource(
        name="offers",
        root="offer",
        roots="offers",
        repository=OfferRepository,
        create=OfferCreate,
        update=OfferUpdate,
        out=OfferOut,
        defaults=lambda: {"leads_api_key": new_lead_token()},
        rules=[destination_is_e164],
        holds_lead_tokens=True,
        listing=ListSpec(
            model=Offer,
            serializers={"offer": OfferOut},
            sortable=("id", "name", "created_at", "updated_at"),
            fulltext=TextColumns(("name", "description")),
        ),
    )
)
