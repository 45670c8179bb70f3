"""ORM queries behind the contact endpoints. Intake writes contacts through the plain-SQL
:mod:`leadflow.contacts.repository`; state changed here goes through that same upsert (see
:meth:`LeadRecordRepository.set_contact_state`), so both mean the same thing."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, or_, select

from leadflow.db.repository import CompanyRepository
from leadflow.models import Contact, ContactEvent


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
