from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from leadflow.kit.auth import Principal
from leadflow.kit.crud import Resource, crud_router
from leadflow.kit.errors import TrackDriveError
from leadflow.kit.fulltext import TextColumns
from leadflow.kit.listing import ListSpec
from leadflow.kit.phone import InvalidPhoneNumberError, to_e164
from leadflow.models import Number
from leadflow.numbers.repository import NumberRepository
from leadflow.numbers.schemas import NumberCreate, NumberOut, NumberUpdate


async def number_is_new_e164(
    session: AsyncSession, principal: Principal, values: dict[str, Any]
) -> dict[str, Any]:
    """Stored as E.164, read in the company's region (as intake reads caller IDs), once each."""
    if "number" not in values:  # an update changes only what the number is used for
        return values
    try:
        number = to_e164(values["number"], principal.default_region)
    except InvalidPhoneNumberError as exc:
        raise TrackDriveError.field("number", str(exc)) from None
    if await NumberRepository(session, principal.company_id).exists(number):
        raise TrackDriveError.field("number", "is already one of your numbers")
    return {**values, "number": number}


router = crud_router(
    Resource(
        name="numbers",
        root="number",
        roots="numbers",
        repository=NumberRepository,
        create=NumberCreate,
        update=NumberUpdate,
        out=NumberOut,
        rules=[number_is_new_e164],
        listing=ListSpec(
            model=Number,
            serializers={"number": NumberOut},
            sortable=("id", "number", "created_at", "updated_at"),
            fulltext=TextColumns(("number",)),
        ),
    )
)
