"""A lead's texts and e-mails: the sender, the message row, and the send owed after the commit.

The schedule's SMS and e-mail actions (and the end actions of those kinds) come here from a
lead's turn (:mod:`.steps`). Like the rest of the turn, nothing here sends: the message row is
handed to the batch, queued or failed, and the send it decides leaves as an
:mod:`~leadflow.cadence.effects` value once the batch commits.
"""

from __future__ import annotations

from leadflow.cadence.batch import Batch, Pending
from leadflow.cadence.effects import SendEmail, SendSms
from leadflow.channels.protocol import OutboundEmail, OutboundSms
from leadflow.db.statements import Row
from leadflow.kit.templating import TemplateError
from leadflow.models.base import new_uuid
from leadflow.models.message import EMAIL, SMS
from leadflow.schedules.actions import EmailAction, SmsAction


def sender_number(
    batch: Batch, lead: Row, capability: str, assigned_id: int | None
) -> tuple[str | None, int | None]:
    """The lead's own number of the pool, kept for the lead (the same sender every time)."""
    if assigned_id is not None:
        number = batch.number(assigned_id)
        if number is not None:
            return number, assigned_id
    pool = batch.pool(lead["company_id"], capability)
    if not pool:
        return (batch.default_caller_id or None), None
    chosen = pool[lead["id"] % len(pool)]
    return chosen["number"], chosen["id"]


def text(batch: Batch, lead: Row, action: SmsAction, index: int) -> None:
    """Queue the action's SMS, unless the lead has no number or the number's cap is reached
    (a capped text is not sent later: the timeline says it was capped)."""
    if not lead["caller_id"]:
        batch.event(
            lead,
            "action_skipped",
            action_index=index,
            type=action.type,
            reason="the lead has no phone number",
        )
        return
    caps, to = batch.caps, lead["caller_id"]
    over = caps.reached(lead["company_id"], to) if caps is not None else None
    if over is not None:
        batch.event(lead, "sms_capped", action_index=index, period=over[0], cap=over[1])
        return
    from_number, from_id = sender_number(batch, lead, "sms", lead["sms_number_id"])
    lead["sms_number_id"] = from_id
    message = _queue(batch, lead, SMS, to, from_number, None, action.body, index)
    if caps is not None:
        caps.count(lead["company_id"], to)
    if message is not None:
        row, body = message
        sms = OutboundSms(row.uuid, lead["caller_id"], from_number, body)
        batch.owe(lambda: SendSms(row.id, sms))


def email(batch: Batch, lead: Row, action: EmailAction, index: int) -> None:
    """Queue the action's e-mail, unless the lead has no address or its subject won't render."""
    if not lead["email"]:
        batch.event(
            lead,
            "action_skipped",
            action_index=index,
            type=action.type,
            reason="the lead has no e-mail address",
        )
        return
    sender = action.from_address or batch.email_from
    try:
        subject = batch.renders.render(action.subject, lead["tokens"])
    except TemplateError as exc:
        batch.event(
            lead, "action_failed", action_index=index, type=action.type, reason=f"subject: {exc}"
        )
        return
    message = _queue(batch, lead, EMAIL, lead["email"], sender, subject, action.body, index)
    if message is not None:
        row, body = message
        outbound = OutboundEmail(row.uuid, lead["email"], sender, subject, body)
        batch.owe(lambda: SendEmail(row.id, outbound))


def _queue(
    batch: Batch,
    lead: Row,
    channel: str,
    to: str,
    sender: str | None,
    subject: str | None,
    template: str,
    index: int,
) -> tuple[Pending, str] | None:
    """The message row, queued; or failed (and nothing to send) when the body won't render."""
    error: str | None = None
    try:
        body = batch.renders.render(template, lead["tokens"])
    except TemplateError as exc:
        body, error = "", str(exc)
    message_uuid = new_uuid()
    row = batch.message(
        message_uuid,
        {
            "company_id": lead["company_id"],
            "lead_id": lead["id"],
            "schedule_id": lead["schedule_id"],
            "channel": channel,
            "to_address": to,
            "from_address": sender,
            "subject": subject,
            "body": body,
            "status": "failed" if error else "queued",
            "action_index": index,
            "error": error,
        },
    )
    if error is not None:
        batch.event(
            lead,
            "action_failed",
            action_index=index,
            type=channel,
            message_id=row,
            reason=error,
        )
        return None
    batch.event(lead, f"{channel}_queued", action_index=index, message_id=row)
    return row, body
