"""The suppression list, queried on a bare connection so intake can share its batch."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from leadflow.models import Contact

contacts = cast(Table, Contact.__table__)


async def contact_row(conn: AsyncConnection, company_id: int, number: str) -> RowMapping | None:
    stmt = select(contacts).where(contacts.c.company_id == company_id, contacts.c.number == number)
    return (await conn.execute(stmt)).mappings().first()


async def set_contact_state(
    conn: AsyncConnection, company_id: int, number: str, now: datetime, **state: Any
) -> None:
    """Create the contact if it is new, then apply ``state`` (blocked, opt_out, ...)."""
    existing = await contact_row(conn, company_id, number)
    if existing is None:
        await conn.execute(
            insert(contacts).values(
                company_id=company_id,
                number=number,
                blocked=False,
                opt_out=False,
                dnc=False,
                calls_count=0,
                sms_count=0,
                created_at=now,
                updated_at=now,
                **state,
            )
        )
        return
    await conn.execute(
        update(contacts).where(contacts.c.id == existing["id"]).values(updated_at=now, **state)
    )
