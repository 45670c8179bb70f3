"""One lead's turn: ask the planner, carry out what it decided, repeat until the lead waits.

Everything here runs on the batch being decided and only writes rows: the call, message or
webhook it decides leaves as an :mod:`~leadflow.cadence.effects` value, sent after the commit;
texts and e-mails are queued by :mod:`.messages`. Templates are rendered through
``batch.renders``, on SQLite before the write lock is taken (:mod:`.render`); one that fails
fails its action (``action_failed``) and the lead goes on.
A lead runs several actions in one turn (a text, then an e-mail, then a wait) so that a
schedule costs one claim per pause rather than one per action; a call ends the turn, because
the lead waits for the call to end.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from leadflow.cadence import messages, repository
from leadflow.cadence.batch import Batch, call_data
from leadflow.cadence.effects import CallWebhook, PlaceCall
from leadflow.cadence.state import WorkedSchedule, lead_state
from leadflow.channels.protocol import OutboundCall
from leadflow.db.statements import Row
from leadflow.kit.templating import TemplateError
from leadflow.leads.serializer import serialise_lead
from leadflow.models.base import new_uuid
from leadflow.models.lead import LeadStatus
from leadflow.models.schedule import CONTACT_CALLER
from leadflow.schedules.actions import (
    Action,
    AddToScheduleAction,
    BlockAction,
    CallAction,
    EmailAction,
    ModifyLeadAction,
    OptOutAction,
    SmsAction,
    WebhookAction,
)
from leadflow.schedules.calling_hours import is_within_calling_hours
from leadflow.schedules.planner import (
    ContactState,
    EndLead,
    HoldUntil,
    RunAction,
    lead_rules,
    plan,
)

MAX_STEPS_PER_TURN = 20
CALL_SETTLE = timedelta(hours=1)
"""How long a lead waits for its call's final status before the schedule goes on anyway."""


def work_lead(batch: Batch, lead: Row, schedule: WorkedSchedule, contact: ContactState) -> None:
    """Advance one claimed lead as far as it goes now, and save it."""
    turn = _Turn(batch, lead, schedule, contact)
    schedule_id = lead["schedule_id"]
    for _ in range(MAX_STEPS_PER_TURN):
        if not schedule.valid:
            turn.end(EndLead(LeadStatus.FAILURE, "the schedule's actions are invalid"))
            break
        decision = plan(lead_state(lead), schedule.state, turn.contact, batch.now)
        if isinstance(decision, EndLead):
            turn.end(decision)
            break
        if isinstance(decision, HoldUntil):
            lead["action_index"] = decision.index
            lead["next_action_at"] = decision.instant
            lead["status"] = LeadStatus.WAITING
            break
        if not turn.run(decision):
            break
    else:
        lead["next_action_at"] = batch.now  # more to do: the next batch goes on
    batch.save(lead, tokens_changed=turn.tokens_changed, moved=lead["schedule_id"] != schedule_id)


class _Turn:
    def __init__(
        self, batch: Batch, lead: Row, schedule: WorkedSchedule, contact: ContactState
    ) -> None:
        self.batch = batch
        self.lead = lead
        self.schedule = schedule
        self.contact = contact
        self.tokens_changed = False

    # -- running an action -------------------------------------------------------------

    def run(self, decision: RunAction) -> bool:
        """Carry out the action; True when the lead can go straight on to the next one."""
        lead, action, index = self.lead, decision.action, decision.index
        lead["status"] = LeadStatus.SCHEDULED
        if isinstance(action, CallAction):
            return self._call(action, index, callback=decision.callback)
        lead["action_index"] = index + 1
        lead["next_action_at"] = self.batch.now
        if isinstance(action, AddToScheduleAction):
            return self._move(action.schedule_id, index)
        self._side_action(action, index)
        return True

    def _side_action(self, action: Action, index: int) -> None:
        """Actions that leave the lead where it is: texts, e-mails, webhooks, edits, flags."""
        if isinstance(action, SmsAction):
            messages.text(self.batch, self.lead, action, index)
        elif isinstance(action, EmailAction):
            messages.email(self.batch, self.lead, action, index)
        elif isinstance(action, WebhookAction):
            self._webhook(action, index)
        elif isinstance(action, ModifyLeadAction):
            self._modify(action, index)
        elif isinstance(action, OptOutAction | BlockAction):
            self._flag("opt_out" if isinstance(action, OptOutAction) else "blocked", index)

    def _skip(self, index: int, action: Action, reason: str, kind: str = "skipped") -> None:
        self.batch.event(
            self.lead, f"action_{kind}", action_index=index, type=action.type, reason=reason
        )

    def _failed(self, index: int, action: Action, reason: str) -> None:
        self._skip(index, action, reason, "failed")

    def _call(self, action: CallAction, index: int, *, callback: bool) -> bool:
        lead, batch = self.lead, self.batch
        if not lead["caller_id"]:
            self._skip(index, action, "the lead has no phone number")
            lead["action_index"] = index + 1
            lead["next_action_at"] = batch.now
            return True
        from_number, _ = messages.sender_number(batch, lead, "voice", lead["trackdrive_number_id"])
        call_uuid = new_uuid()
        call = batch.call(
            call_uuid,
            {
                "company_id": lead["company_id"],
                "lead_id": lead["id"],
                "schedule_id": lead["schedule_id"],
                "to_number": lead["caller_id"],
                "from_number": from_number,
                "tokens": lead["tokens"],
                "action_index": index,
                "is_callback": callback,
                "connect_to": action.connect_to,
                "offer_id": lead["offer_id"],
                "traffic_source_id": lead["traffic_source_id"],
            },
        )
        lead["contact_attempts"] += 1
        lead["calls_placed"] += 1
        lead["status"] = LeadStatus.RUNNING
        lead["next_action_at"] = batch.now + CALL_SETTLE
        if callback:
            lead["schedule_callback_at"] = None
            batch.later(
                lambda: repository.place_callbacks(batch.sql, lead["id"], call.id, batch.now)
            )
        else:
            lead["action_index"] = index + 1
        batch.event(lead, "call_placed", call_id=call, action_index=index, callback=callback)
        placed = dict(lead)  # as it was when called, whatever the rest of the turn changes
        batch.later(
            lambda: batch.webhook(
                placed,
                "new_call",
                lambda: call_data(placed, call.id, call_uuid, from_number, batch.now),
            )
        )
        outbound = OutboundCall(
            call_uuid=call_uuid,
            to=lead["caller_id"],
            from_=from_number,
            connect_to=action.connect_to,
            max_ring_seconds=action.max_ring_seconds,
        )
        batch.owe(lambda: PlaceCall(call.id, outbound))
        return False

    def _webhook(self, action: WebhookAction, index: int) -> None:
        lead = self.lead
        try:
            render, tokens = self.batch.renders.render, lead["tokens"]
            url = render(action.url, tokens).strip()
            body = render(action.body, tokens)
            headers = {name: render(text, tokens) for name, text in action.headers.items()}
        except TemplateError as exc:
            self._failed(index, action, str(exc))
            return
        self.batch.event(lead, "webhook_queued", action_index=index, method=action.method, url=url)
        webhook = CallWebhook(
            lead["company_id"], lead["id"], index, action.method, url, body, headers
        )
        self.batch.owe(lambda: webhook)

    def _modify(self, action: ModifyLeadAction, index: int) -> None:
        lead = self.lead
        try:
            render, tokens = self.batch.renders.render, lead["tokens"]
            changes = {name: render(text, tokens) for name, text in action.set_tokens.items()}
        except TemplateError as exc:
            self._failed(index, action, str(exc))
            return
        lead["tokens"] = {**(lead["tokens"] or {}), **changes}
        self.tokens_changed = True
        self.batch.event(lead, "lead_modified", action_index=index, tokens=changes)

    def _flag(self, flag: str, index: int) -> None:
        lead, batch = self.lead, self.batch
        if not lead["caller_id"]:
            self.batch.event(
                lead, "action_skipped", action_index=index, reason="the lead has no phone number"
            )
            return
        repository.flag_contact(batch.sql, lead["company_id"], lead["caller_id"], flag, batch.now)
        if flag == "opt_out":
            self.contact = replace(self.contact, opt_out=True)
            batch.event(lead, "opted_out", action_index=index)
        else:
            self.contact = replace(self.contact, blocked=True)
            batch.event(lead, "blocked", action_index=index)

    def _move(self, schedule_id: int, index: int) -> bool:
        lead, batch = self.lead, self.batch
        target = repository.schedule_of_company(batch.sql, lead["company_id"], schedule_id)
        if target is None or target["schedule_type"] != CONTACT_CALLER:
            batch.event(
                lead,
                "action_failed",
                action_index=index,
                type="add_to_schedule",
                reason=f"schedule {schedule_id} is not one of your calling schedules",
            )
            return True
        batch.event(
            lead,
            "moved_to_schedule",
            action_index=index,
            from_schedule_id=lead["schedule_id"],
            to_schedule_id=schedule_id,
        )
        lead["schedule_id"] = schedule_id
        lead["action_index"] = 0
        lead["status"] = LeadStatus.SCHEDULED
        lead["next_action_at"] = batch.now
        return False

    # -- ending ------------------------------------------------------------------------

    def end(self, decision: EndLead) -> None:
        lead, batch = self.lead, self.batch
        already_ended = lead["status"] not in LeadStatus.LIVE
        lead["next_action_at"] = None
        if already_ended:
            return
        if lead["schedule_callback_at"] is not None:
            repository.cancel_callbacks(batch.sql, lead["id"], batch.now)
        lead["status"] = decision.status
        lead["ended_at"] = batch.now
        lead["schedule_callback_at"] = None
        lead["updated_at"] = batch.now
        batch.event(lead, "lead_ended", status=decision.status, reason=decision.reason)
        batch.webhook(lead, "lead_ended", lambda: serialise_lead(lead))
        if decision.status == LeadStatus.OPT_OUT:
            batch.webhook(lead, "lead_opted_out", lambda: serialise_lead(lead))
        self._end_actions()

    def _end_actions(self) -> None:
        """Run once when the lead ends: calls and texts only to a reachable contact in its hours."""
        lead = self.lead
        for index, action in enumerate(self.schedule.end_actions):
            if isinstance(action, CallAction | SmsAction):
                reason = self._unreachable_by_phone()
                if reason is not None:
                    self.batch.event(
                        lead,
                        "end_action_skipped",
                        end_action_index=index,
                        type=action.type,
                        reason=reason,
                    )
                    continue
            if isinstance(action, CallAction):
                # The lead stays ended: this call belongs to its end, not to a new turn.
                kept = {name: lead[name] for name in ("status", "next_action_at", "action_index")}
                self._call(action, index, callback=False)
                lead.update(kept)
            elif isinstance(action, AddToScheduleAction):
                if not self._move(action.schedule_id, index):
                    lead["ended_at"] = None
                    return
            else:
                self._side_action(action, index)

    def _unreachable_by_phone(self) -> str | None:
        contact = self.contact
        if contact.blocked or contact.opt_out or contact.dnc:
            return "the number is suppressed"
        if not self.lead["caller_id"]:
            return "the lead has no phone number"
        rules = lead_rules(lead_state(self.lead), self.schedule.state)
        if not is_within_calling_hours(rules, self.batch.now):
            return "outside the lead's calling hours"
        return None
