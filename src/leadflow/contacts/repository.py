"""The suppression list (contacts and their history): the one repository of the domain.

Intake, dialing and the provider callbacks check and change contacts inside their group-commit
unit, so those functions take a plain-SQL :class:`~leadflow.db.statements.Sql` (a hot path, see
``tests/kit/test_sql_importers.py``). The contact endpoints and the web page list and show them
through the ORM (:class:`ContactRepository`); state they change goes through the same upsert,
:func:`set_contact_state`, so both mean the same thing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypedDict, cast

from sqlalchemy import Select, or_, select

from leadflow.db.repository import CompanyRepository
from leadflow.db.statements import Sql
from leadflow.models import Contact, ContactEvent

_NEW_CONTACT: dict[str, Any] = {
    "blocked": False,
    "opt_out": False,
    "dnc": False,
    "calls_count": 0,
    "sms_count": 0,
}
STATE_COLUMNS = frozenset(
    {"blocked", "opt_out", "dnc", "blocked_at", "opt_out_at", "sms_opt_out_at"}
)


class ContactRow(TypedDict):
    """A ``contacts`` row as :class:`Sql` reads it (flags decoded on both engines: see
    ``tests/db/test_row_decoding.py``): read on every post and every dial."""

    id: int
    company_id: int
    number: str
    blocked: bool
    opt_out: bool
    dnc: bool
    blocked_at: datetime | None
    opt_out_at: datetime | None
    sms_opt_out_at: datetime | None
    calls_count: int
    sms_count: int
    created_at: datetime
    updated_at: datetime


def contact_row(sql: Sql, company_id: int, number: str) -> ContactRow | None:
    return cast(
        ContactRow | None,
        sql.one(
            "SELECT * FROM contacts WHERE company_id = :company AND number = :number",
            company=company_id,
            number=number,
        ),
    )


def contact_rows(sql: Sql, company_id: int, numbers: Sequence[str]) -> dict[str, ContactRow]:
    """:func:`contact_row` for many numbers in one query, by number (unknown ones absent)."""
    if not numbers:
        return {}
    names = [f"n{index}" for index in range(len(numbers))]
    rows = sql.all(
        "SELECT * FROM contacts WHERE company_id = :company"
        f" AND number IN ({', '.join(':' + name for name in names)})",
        company=company_id,
        **dict(zip(names, numbers, strict=True)),
    )
    return {row["number"]: cast(ContactRow, row) for row in rows}


def set_contact_state(sql: Sql, company_id: int, number: str, now: datetime, **state: Any) -> None:
    """Create the contact if it is new, then apply ``state`` (blocked, opt_out, ...).

    One upsert, so two leads for the same number arriving through different schedules (which
    hold different duplicate locks) cannot both try to insert it.
    """
    unknown = set(state) - STATE_COLUMNS
    if unknown:
        raise ValueError(f"not contact state: {sorted(unknown)}")
    values = {
        **_NEW_CONTACT,
        **state,
        "company_id": company_id,
        "number": number,
        "created_at": now,
        "updated_at": now,
    }
    columns = list(values)
    updates = ", ".join(f"{name} = :{name}" for name in ("updated_at", *state))
    sql.run(
        f"INSERT INTO contacts ({', '.join(columns)}) "
        f"VALUES ({', '.join(':' + name for name in columns)}) "
        f"ON CONFLICT (company_id, number) DO UPDATE SET {updates}",
        **values,
    )


def record_contact_event(
    sql: Sql,
    company_id: int,
    number: str,
    kind: str,
    source: str,
    now: datetime,
    reason: str | None = None,
) -> None:
    """Keep one change of the number's suppression state on its history (see
    :class:`leadflow.models.ContactEvent`)."""
    sql.run(
        "INSERT INTO contact_events (company_id, number, kind, source, reason, created_at) "
        "VALUES (:company_id, :number, :kind, :source, :reason, :created_at)",
        company_id=company_id,
        number=number,
        kind=kind,
        source=source,
        reason=reason,
        created_at=now,
    )


class ContactRepository(CompanyRepository[Contact]):
    model = Contact

    def suppressed(self) -> Select[Any]:
        """Numbers no outbound action may reach: blocked, opted out or on a DNC list."""
        return self.scoped().where(or_(Contact.blocked, Contact.opt_out, Contact.dnc))

    async def by_number(self, number: str) -> Contact | None:
        stmt = (
            self.scoped().where(Contact.number == number).execution_options(populate_existing=True)
        )
        return (await self.session.scalars(stmt)).first()

    async def history(self, number: str) -> Sequence[ContactEvent]:
        stmt = (
            select(ContactEvent)
            .where(ContactEvent.company_id == self.company_id, ContactEvent.number == number)
            .order_by(ContactEvent.id)
        )
        return (await self.session.scalars(stmt)).all()
