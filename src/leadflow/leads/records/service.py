"""A lead as ``GET /api/v1/leads/:id`` shows it, built once from the ORM record.

The lead resource endpoints and the webhooks fired from them (``lead_changed``, ``lead_ended``,
``lead_opted_out``) and from a call update (``lead_converted``) must all show the same lead, so
they all build it here.
"""

from __future__ import annotations

from typing import Any

from leadflow.leads.records.repository import LeadRecordRepository
from leadflow.leads.serializer import serialise_lead
from leadflow.models import Lead


def lead_row(lead: Lead) -> dict[str, Any]:
    """The record as a column-keyed row, the shape the serializer and the triggers read."""
    return {column.key: getattr(lead, column.key) for column in Lead.__table__.columns}


async def serialised_lead(repo: LeadRecordRepository, lead: Lead) -> dict[str, Any]:
    """The lead as the API shows it, with its number's contact flags and its numbers in plain."""
    contact = await repo.contact(lead.caller_id)
    flags = {"blocked": contact.blocked, "opt_out": contact.opt_out} if contact else None
    return serialise_lead(
        lead_row(lead),
        flags,
        trackdrive_number_plain=await repo.number_plain(lead.trackdrive_number_id),
        sms_number_plain=await repo.number_plain(lead.sms_number_id),
    )
