"""Many posts' intake in one go: what a CSV import runs, a batch of rows at a time.

Each row follows the rules of ``POST /api/v1/leads`` (:func:`leads.service.intake`), through the
very functions that apply them there (the duplicate rule, the suppression flags, the
do-not-call verdict, the new lead's row or the changes to an existing one, the timeline and the
webhook event). Only the transport to the database differs, because at a few statements a lead
the database round trips were most of an import's cost:

- the suppression flags of every number, and every lead a row may be a duplicate of, are read
  with one query each for the whole batch; the batch then keeps those rows in hand, so a row
  that repeats an earlier row's caller finds the lead that row created or changed, exactly as
  the next post would find it in the database;
- new leads get their ids from :func:`repository.new_lead_ids` and are inserted together, like
  the timeline rows, with one ``executemany`` each.

A row asking for something beyond a plain post (``delete_existing``, ``expire_existing``,
``restart_schedule``, ``update_only``, ``blocked``, ``unblock_contact``, numbers to assign,
``update_all_matching_leads``, tokens applied to calls) runs through :func:`intake` itself, in a
savepoint of its own, once what the batch holds is written: such rows are rare in a file, and
that way no rule has a second copy here.

Like :func:`intake`, this runs inside a group-commit unit and never commits. The API's posts
take the same path (:func:`intake_together`): group commit hands a batch of concurrent posts to
it as one call. On PostgreSQL a round trip per statement per lead was what a post cost; on
SQLite, the triggers that counted each new lead (``repository.insert_leads`` counts a batch's
at once).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from leadflow.contacts import repository as contacts
from leadflow.db.pg_batch import writes_together
from leadflow.db.statements import Sql
from leadflow.kit.errors import TrackDriveError
from leadflow.leads import repository
from leadflow.leads.owner import LeadOwner
from leadflow.leads.params import IntakeParams
from leadflow.leads.repository import timeline_event
from leadflow.leads.rules import (
    IntakeContext,
    contact_state,
    dnc_verdict,
    duplicate_rule,
    field_values,
    lead_changes,
    lock_key,
    new_lead,
)
from leadflow.leads.service import (
    IntakeResult,
    after_store,
    announce,
    intake,
    take_duplicate_lock,
    traffic_source_of,
)

Scope = tuple[int, int, int | None]
"""The owner whose leads a post's duplicates are looked for in: company, offer, schedule."""


@dataclass(frozen=True)
class BatchItem:
    """One post of a batch: what :func:`intake` takes."""

    owner: LeadOwner
    params: IntakeParams
    ctx: IntakeContext


Outcome = IntakeResult | TrackDriveError
"""A row's answer: its result, or the error the API would have answered."""


def is_plain(params: IntakeParams) -> bool:
    """Whether a post asks only what the batch does itself; the rest go through
    :func:`intake` one by one."""
    return not (
        params.delete_existing
        or params.expire_existing
        or params.restart_schedule
        or params.update_only
        or params.unblock_contact
        or params.blocked
        or params.assign_trackdrive_number
        or params.assign_sms_number
        or params.update_all_matching_leads
        or (params.apply_to_calls and params.tokens)
    )


def intake_many(sql: Sql, items: Sequence[BatchItem]) -> list[Outcome]:
    """Each item's intake, in order, as if each were posted after the one before it."""
    return _Batch(sql).run(items)


def intake_together(sql: Sql, items: list[BatchItem]) -> list[Outcome]:
    """:func:`intake_many` for a group-commit batch of API posts (a
    :class:`~leadflow.db.group_commit.Together` kind): their duplicate locks are already
    held, taken with the transaction's ``BEGIN`` (:func:`duplicate_locks`)."""
    return _Batch(sql, locked=True).run(items)


def duplicate_locks(owner: LeadOwner, params: IntakeParams) -> tuple[int, ...]:
    """The advisory lock a post's :func:`intake` takes, if any."""
    return () if params.caller_id is None else (lock_key(owner, params.caller_id),)


def _scope(owner: LeadOwner) -> Scope:
    return (owner.company_id, owner.offer_id, owner.schedule_id)


@dataclass
class _Batch:
    sql: Sql
    locked: bool = False
    """Whether the rows' duplicate locks are already held."""
    # The leads each (scope, caller) may be a duplicate of, newest first: those the query
    # found, then the leads this batch created. A row the batch changes is changed here too.
    candidates: dict[tuple[Scope, str], list[dict[str, Any]]] = field(default_factory=dict)
    # Suppression rows by (company, number); None for a number read and not found.
    contact_rows: dict[tuple[int, str], contacts.ContactRow | None] = field(default_factory=dict)
    sources: dict[tuple[int, str | None], int | None] = field(default_factory=dict)
    new_leads: list[dict[str, Any]] = field(default_factory=list)
    new_events: list[dict[str, Any]] = field(default_factory=list)
    pending: set[int] = field(default_factory=set)
    """``id()`` of the dicts in ``new_leads``: changed in hand, not in the database."""
    ids: list[int] = field(default_factory=list)
    plain_left: int = 0

    def run(self, items: Sequence[BatchItem]) -> list[Outcome]:
        self._lock(items)
        plain = [item for item in items if is_plain(item.params)]
        self._read_ahead(plain)
        self.plain_left = len(plain)
        outcomes: list[Outcome] = []
        for item in items:
            if is_plain(item.params):
                outcomes.append(self._plain(item))
                self.plain_left -= 1
            else:
                outcomes.append(self._one_by_one(item))
        self._write()
        return outcomes

    def _lock(self, items: Sequence[BatchItem]) -> None:
        """Every row's duplicate lock (PostgreSQL), in key order like group commit's."""
        if self.sql.dialect != "postgresql" or self.locked:
            return
        keys = {
            lock_key(item.owner, item.params.caller_id): item
            for item in items
            if item.params.caller_id is not None
        }
        for key in sorted(keys):
            item = keys[key]
            assert item.params.caller_id is not None
            take_duplicate_lock(self.sql, item.owner, item.params.caller_id)

    def _read_ahead(self, items: Sequence[BatchItem]) -> None:
        """Suppression rows and possible duplicates of the whole batch, one query each per
        company and per owner."""
        numbers: dict[int, set[str]] = {}
        scopes: dict[Scope, tuple[LeadOwner, set[str], list[Any]]] = {}
        for item in items:
            caller = item.params.caller_id
            if caller is None:
                continue
            numbers.setdefault(item.owner.company_id, set()).add(caller)
            rule = duplicate_rule(item.owner, item.params, item.ctx)
            if rule is None:
                continue
            _, callers, sinces = scopes.setdefault(_scope(item.owner), (item.owner, set(), []))
            callers.add(caller)
            sinces.append(rule.since)
        for company_id, wanted in numbers.items():
            found = contacts.contact_rows(self.sql, company_id, sorted(wanted))
            for number in wanted:
                self.contact_rows[(company_id, number)] = found.get(number)
        for owner, callers, sinces in scopes.values():
            # The earliest window of the batch's rows: each row's own rule picks among these.
            since = None if None in sinces else min(sinces)
            self._load(owner, sorted(callers), since)

    def _load(self, owner: LeadOwner, callers: list[str], since: Any) -> None:
        scope = _scope(owner)
        for caller in callers:
            self.candidates[(scope, caller)] = []
        rows = repository.leads_of_callers(
            self.sql,
            owner.company_id,
            owner.offer_id,
            owner.schedule_id,
            callers,
            created_since=since,
        )
        for row in rows:  # newest first, as they came
            self.candidates[(scope, row["caller_id"])].append(row)

    def _contact(self, owner: LeadOwner, caller: str | None) -> dict[str, bool]:
        if caller is None:
            return contact_state(None)
        key = (owner.company_id, caller)
        if key not in self.contact_rows:
            self.contact_rows[key] = contacts.contact_row(self.sql, owner.company_id, caller)
        return contact_state(self.contact_rows[key])

    def _existing(self, item: BatchItem) -> dict[str, Any] | None:
        caller = item.params.caller_id
        rule = duplicate_rule(item.owner, item.params, item.ctx)
        if caller is None or rule is None:
            return None
        key = (_scope(item.owner), caller)
        if key not in self.candidates:
            self._load(item.owner, [caller], None)
        return next((lead for lead in self.candidates[key] if rule.matches(lead)), None)

    def _traffic_source(self, owner: LeadOwner, params: IntakeParams) -> int | None:
        key = (owner.company_id, params.traffic_source_ref)
        if key not in self.sources:
            self.sources[key] = traffic_source_of(self.sql, owner, params)
        return self.sources[key]

    def _new_id(self) -> int:
        if not self.ids:
            # Enough for the rest of the batch's rows (on PostgreSQL the ids of the rows that
            # turn out to be updates are skipped, as a failed insert's would be). SQLite's are
            # counted from the table's highest id: what the batch holds is written first.
            self._write()
            self.ids = repository.new_lead_ids(self.sql, max(1, self.plain_left))
            self.ids.reverse()
        return self.ids.pop()

    def _plain(self, item: BatchItem) -> Outcome:
        owner, params, ctx = item.owner, item.params, item.ctx
        try:
            # The one rule of a plain post that refuses it; nothing is written before it.
            source = self._traffic_source(owner, params)
        except TrackDriveError as exc:
            return exc
        values = field_values(params, source, ctx.now)
        contact = self._contact(owner, params.caller_id)
        existing = self._existing(item)
        verdict = dnc_verdict(owner, params, ctx, existing)
        if existing is None:
            lead = new_lead(owner, params, ctx, values, contact, verdict)
            lead["id"] = self._new_id()
            self.new_leads.append(lead)
            self.pending.add(id(lead))
            if params.caller_id is not None:
                key = (_scope(owner), params.caller_id)
                self.candidates.setdefault(key, []).insert(0, lead)
        else:
            changes = lead_changes(owner, params, existing, values, ctx, contact, verdict)
            if id(existing) not in self.pending:
                repository.update_lead(self.sql, existing["id"], changes)
            existing.update(changes)  # a lead not written yet is written as it ends up
            lead = existing
        result = IntakeResult(
            lead=lead, dedupe_action="created" if existing is None else "updated", contact=contact
        )
        events: list[tuple[str, dict[str, Any]]] = []
        after_store(self.sql, owner, params, ctx, verdict, result, events)
        self.new_events.extend(timeline_event(lead, kind, data, ctx.now) for kind, data in events)
        announce(self.sql, result, ctx.now)
        return result

    def _one_by_one(self, item: BatchItem) -> Outcome:
        """A row beyond a plain post: :func:`intake` itself, on the database as the rows
        before it left it, in a savepoint so that its refusal rejects it alone."""
        self._write()
        self.ids = []  # intake's own insert takes the next id
        sql = self.sql
        sql.run("SAVEPOINT batch_row")
        try:
            outcome: Outcome = intake(sql, item.owner, item.params, item.ctx)
        except TrackDriveError as exc:
            sql.run("ROLLBACK TO SAVEPOINT batch_row")
            outcome = exc
        sql.run("RELEASE SAVEPOINT batch_row")
        caller = item.params.caller_id
        if caller is not None:
            # It may have changed any lead or the suppression state of its number.
            for key in [key for key in self.candidates if key[1] == caller]:
                del self.candidates[key]
            self.contact_rows.pop((item.owner.company_id, caller), None)
        return outcome

    def _write(self) -> None:
        # One statement on PostgreSQL's batch connection (db.pg_batch: the report counters
        # a lead's insert locks stay locked until the commit).
        with writes_together(self.sql):
            repository.insert_leads(self.sql, self.new_leads)
            repository.insert_events(self.sql, self.new_events)
        self.new_leads, self.new_events = [], []
        self.pending.clear()
