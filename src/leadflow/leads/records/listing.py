"""How ``GET /api/v1/leads`` lists leads: the ``lead`` and ``lead_grid`` shapes and the
listing spec the endpoint and ``bench/listing.py`` share.

A listed lead is shaped by the same :class:`~leadflow.leads.serializer.LeadOut` the single
lead uses. What a lead row does not hold itself (the contact's ``blocked``/``opt_out`` and the
plain numbers assigned to it) comes from correlated subqueries, which run only for the rows of
the page, and only when ``columns`` asks for them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import ColumnElement, and_, false, func, select

from leadflow.kit.fulltext import LeadSearchIndex
from leadflow.kit.listing import Computed, ListSpec, choice_filter, id_filter, text_filter
from leadflow.leads.serializer import LeadOut
from leadflow.models import Contact, Lead, LeadStatus, Number


class LeadGridOut(BaseModel):
    """``serializer=lead_grid``: the few fields a table of leads shows."""

    id: int
    uuid: str
    caller_id: str | None
    email: str | None
    status: str
    human_status: str
    offer_id: int
    schedule_id: int | None
    traffic_source_id: int | None
    created_at: datetime


def _contact_flag(name: str) -> ColumnElement[Any]:
    flag = (
        select(getattr(Contact, name))
        .where(and_(Contact.company_id == Lead.company_id, Contact.number == Lead.caller_id))
        .correlate(Lead)
        .scalar_subquery()
    )
    return func.coalesce(flag, false())


def _number_plain(column: Any) -> ColumnElement[Any]:
    return select(Number.number).where(Number.id == column).correlate(Lead).scalar_subquery()


def _human_status(row: Mapping[str, Any]) -> str:
    status: str = row["status"]
    return LeadStatus.HUMAN.get(status, status)


def _has_next_action(row: Mapping[str, Any]) -> bool:
    return row["next_action_at"] is not None and row["status"] in LeadStatus.LIVE


def _opt_out(row: Mapping[str, Any]) -> bool:
    return bool(row["contact_opt_out"]) or row["status"] == LeadStatus.OPT_OUT


def _blocked(row: Mapping[str, Any]) -> bool:
    return bool(row["contact_blocked"]) or row["status"] == LeadStatus.BLOCKED


LEAD_LISTING = ListSpec(
    model=Lead,
    serializers={"lead": LeadOut, "lead_grid": LeadGridOut},
    sortable=("id", "created_at", "updated_at", "next_action_at"),
    fulltext=LeadSearchIndex(),
    filters={
        "status": choice_filter("status", LeadStatus.HUMAN),
        "traffic_source_id": id_filter("traffic_source_id"),
        "offer_id": id_filter("offer_id"),
        "schedule_id": id_filter("schedule_id"),
        "sub_id": text_filter("sub_id"),
    },
    computed={
        "human_status": Computed(("status",), _human_status),
        "has_next_action": Computed(("next_action_at", "status"), _has_next_action),
        "opt_out": Computed(("contact_opt_out", "status"), _opt_out),
        "blocked": Computed(("contact_blocked", "status"), _blocked),
        "data": Computed(("tokens",), lambda row: row["tokens"]),
    },
    expressions={
        "contact_opt_out": _contact_flag("opt_out"),
        "contact_blocked": _contact_flag("blocked"),
        "trackdrive_number_plain": _number_plain(Lead.trackdrive_number_id),
        "sms_number_plain": _number_plain(Lead.sms_number_id),
    },
    spread={"data": "tokens"},
)
