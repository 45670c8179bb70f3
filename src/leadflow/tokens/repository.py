"""Token names counted from the leads' ``tokens`` JSON, on each engine's own JSON functions:
SQLite's ``json_each`` and PostgreSQL's ``jsonb_object_keys``. The names are not stored apart
from the leads, so what this reports is always what the leads hold."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from leadflow.models import Offer, Schedule

_KEYS = {
    "sqlite": (
        "SELECT tokens_of_lead.key AS name, count(*) AS count "
        "FROM leads, json_each(leads.tokens) AS tokens_of_lead "
        "WHERE leads.company_id = :company AND json_type(leads.tokens) = 'object' {scope}"
        "GROUP BY tokens_of_lead.key ORDER BY count(*) DESC, tokens_of_lead.key"
    ),
    "postgresql": (
        "SELECT name, count(*) AS count "
        "FROM leads CROSS JOIN LATERAL jsonb_object_keys(leads.tokens) AS name "
        "WHERE leads.company_id = :company AND jsonb_typeof(leads.tokens) = 'object' {scope}"
        "GROUP BY name ORDER BY count(*) DESC, name"
    ),
}
_SCOPES = {
    None: "",
    "schedule": "AND leads.schedule_id = :owner ",
    "offer": "AND leads.offer_id = :owner ",
}


@dataclass(frozen=True)
class TokenOwner:
    """The schedule or offer a ``lead_token`` names."""

    kind: str
    id: int


class TokenRepository:
    def __init__(self, session: AsyncSession, company_id: int) -> None:
        self.session = session
        self.company_id = company_id

    async def owner(self, lead_token: str) -> TokenOwner | None:
        """The company's schedule or offer with this ``leads_api_key``."""
        for kind, model in (("schedule", Schedule), ("offer", Offer)):
            stmt = select(model.id).where(
                model.company_id == self.company_id, model.leads_api_key == lead_token
            )
            found = await self.session.scalar(stmt)
            if found is not None:
                return TokenOwner(kind, found)
        return None

    async def counts(self, owner: TokenOwner | None = None) -> list[tuple[str, int]]:
        """Each token name with the number of leads carrying it, most common first."""
        dialect = self.session.get_bind().dialect.name
        scope = _SCOPES[owner.kind if owner else None]
        statement = text(_KEYS[dialect].format(scope=scope))
        params: dict[str, int] = {"company": self.company_id}
        if owner is not None:
            params["owner"] = owner.id
        rows = await self.session.execute(statement, params)
        return [(str(name), int(count)) for name, count in rows.all()]
