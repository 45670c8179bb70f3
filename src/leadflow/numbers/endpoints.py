from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from leadflow.kit.auth import Principal
from leadflow.kit.crud import Resource, crud_router
from leadflow.kit.errors import TrackDriveError
from leadflow.numbers.repository import NumberRepository
from leadflow.numbers.schemas import NumberCreate, NumberOut


async def number_is_new(
    session: AsyncSession, principal: Principal, values: dict[str, Any]
) -> None:
    if await NumberRepository(session, principal.company_id).exists(values["number"]):
        raise TrackDriveError.field("number", "is already one of your numbers")


router = crud_router(
    Resource(
        name="numbers",
        root="number",
        roots="numbers",
        repository=NumberRepository,
        create=NumberCreate,
        update=None,
        out=NumberOut,
        checks=[number_is_new],
    )
)
