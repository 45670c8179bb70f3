"""The suppression list, queried on a bare connection so intake can share its batch."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from leadflow.models import Contact

contacts = cast(Table, Contact.__table__)

_NEW_CONTACT: dict[str, Any] = {
    "blocked": False,
    "opt_out": False,
    "dnc": False,
    "calls_count": 0,
    "sms_count": 0,
}


async def contact_row(conn: AsyncConnection, company_id: int, number: str) -> RowMapping | None:
    stmt = select(contacts).where(contacts.c.company_id == company_id, contacts.c.number == number)
    return (await conn.execute(stmt)).mappings().first()


async def set_contact_state(
    conn: AsyncConnection, company_id: int, number: str, now: datetime, **state: Any
) -> None:
    """Create the contact if it is new, then apply ``state`` (blocked, opt_out, ...).

    One upsert, so two leads for the same number arriving through different schedules (which
    hold different duplicate locks) cannot both try to insert it.
    """
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    stmt = insert(contacts).values(
        company_id=company_id,
        number=number,
        created_at=now,
        updated_at=now,
        **{**_NEW_CONTACT, **state},
    )
    await conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[contacts.c.company_id, contacts.c.number],
            set_={"updated_at": now, **state},
        )
    )
