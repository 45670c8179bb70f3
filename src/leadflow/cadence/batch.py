"""What every lead of one claimed batch shares: the transaction, the time, the lookups, the
rows it decided, and the effects still owed once the batch commits.

A lead's turn does not write its rows itself: it hands them to the batch, which writes all of
them at the end of the claiming transaction, one statement per table (:mod:`.bulk`). The ids of
the new calls and messages are known only then, so a turn refers to such a row by its
:class:`Pending` handle, and what needs the id (the event's ``call_id``, the effect to send,
the ``new_call`` webhook) is resolved after the rows are written, still before the commit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from leadflow.cadence import bulk, repository
from leadflow.cadence.caps import SmsCaps
from leadflow.cadence.effects import Effect
from leadflow.cadence.render import Renders
from leadflow.db.statements import Row, Sql
from leadflow.kit.values import iso_time
from leadflow.webhooks.outbox import enqueue_event


@dataclass(eq=False)
class Pending:
    """A call or message row decided in this batch; ``id`` is set once the batch writes it."""

    uuid: str
    values: dict[str, Any]
    id: int = 0


@dataclass
class Batch:
    """What every lead of one claimed batch shares: the transaction, the time, the lookups,
    the templates rendered (see :mod:`.render` for why they are made before the lock)."""

    sql: Sql
    now: datetime
    default_caller_id: str
    email_from: str
    renders: Renders
    caps: SmsCaps | None = None
    _messages: list[Pending] = field(default_factory=list)
    _calls: list[Pending] = field(default_factory=list)
    _events: list[Row] = field(default_factory=list)
    _saves: list[tuple[Row, bool, bool]] = field(default_factory=list)
    _later: list[Callable[[], None]] = field(default_factory=list)
    _owed: list[Callable[[], Effect]] = field(default_factory=list)
    _pools: dict[tuple[int, str], list[Row]] = field(default_factory=dict)
    _numbers: dict[int, str | None] = field(default_factory=dict)
    _subscribed: dict[int, frozenset[str]] = field(default_factory=dict)

    def pool(self, company_id: int, capability: str) -> list[Row]:
        key = (company_id, capability)
        if key not in self._pools:
            self._pools[key] = repository.numbers_with(self.sql, company_id, capability)
        return self._pools[key]

    def number(self, number_id: int) -> str | None:
        if number_id not in self._numbers:
            self._numbers[number_id] = repository.number_by_id(self.sql, number_id)
        return self._numbers[number_id]

    # -- rows, written together by flush() ---------------------------------------------

    def message(self, uuid: str, values: dict[str, Any]) -> Pending:
        pending = Pending(uuid, {"uuid": uuid, **values})
        self._messages.append(pending)
        return pending

    def call(self, uuid: str, values: dict[str, Any]) -> Pending:
        pending = Pending(uuid, {"uuid": uuid, **values})
        self._calls.append(pending)
        return pending

    def event(self, lead: Row, kind: str, **data: Any) -> None:
        """A timeline entry; a :class:`Pending` value in ``data`` becomes that row's id."""
        self._events.append(
            {"company_id": lead["company_id"], "lead_id": lead["id"], "kind": kind, "data": data}
        )

    def save(self, lead: Row, *, tokens_changed: bool, moved: bool) -> None:
        """Write the lead back; ``moved``: its schedule changed (the columns an update names
        cost their index entries and foreign-key checks, whether the value changed or not)."""
        self._saves.append((lead, tokens_changed, moved))

    def later(self, step: Callable[[], None]) -> None:
        """Run ``step`` once the new rows have ids (still inside the transaction)."""
        self._later.append(step)

    def owe(self, effect: Callable[[], Effect]) -> None:
        """An effect to send after the commit, built once its row has an id."""
        self._owed.append(effect)

    def flush(self) -> list[Effect]:
        """Write every row the batch decided; return the effects owed, in decision order."""
        if self._messages:
            ids = bulk.insert_messages(self.sql, [p.values for p in self._messages], self.now)
            for pending in self._messages:
                pending.id = ids[pending.uuid]
        if self._calls:
            ids = bulk.insert_calls(self.sql, [p.values for p in self._calls], self.now)
            for pending in self._calls:
                pending.id = ids[pending.uuid]
        for step in self._later:
            step()
        for event in self._events:
            data = event["data"]
            if any(isinstance(value, Pending) for value in data.values()):
                event["data"] = {k: v.id if isinstance(v, Pending) else v for k, v in data.items()}
        bulk.add_lead_events(self.sql, self._events, self.now)
        groups: dict[tuple[bool, bool], list[Row]] = {}
        for lead, with_tokens, moved in self._saves:
            groups.setdefault((with_tokens, moved), []).append(lead)
        for (with_tokens, moved), leads in groups.items():
            bulk.save_leads(self.sql, leads, self.now, with_tokens=with_tokens, moved=moved)
        effects = [owe() for owe in self._owed]
        # the steps close over the batch: dropped now, the batch is freed as soon as it ends
        self._later.clear()
        self._owed.clear()
        return effects

    # -- webhooks ----------------------------------------------------------------------

    def webhook(self, lead: Row, event: str, build: Callable[[], dict[str, Any]]) -> None:
        """Queue ``event`` for the lead's subscribers; most companies subscribe to few events,
        so which ones they do is read once per batch, not once per event."""
        company_id = lead["company_id"]
        if company_id not in self._subscribed:
            self._subscribed[company_id] = repository.subscribed_events(self.sql, company_id)
        if event not in self._subscribed[company_id]:
            return
        trigger = {
            "schedule_id": lead["schedule_id"],
            "offer_id": lead["offer_id"],
            "traffic_source_id": lead["traffic_source_id"],
            "sub_id": lead["sub_id"],
        }
        enqueue_event(
            self.sql,
            company_id=lead["company_id"],
            event=event,
            data=build(),
            trigger=trigger,
            now=self.now,
        )


def call_data(
    lead: Row, call_id: int, call_uuid: str, from_number: str | None, now: datetime
) -> dict[str, Any]:
    return {
        "id": call_id,
        "uuid": call_uuid,
        "lead_id": lead["id"],
        "schedule_id": lead["schedule_id"],
        "offer_id": lead["offer_id"],
        "traffic_source_id": lead["traffic_source_id"],
        "direction": "outbound",
        "to_number": lead["caller_id"],
        "from_number": from_number,
        "status": "queued",
        "tokens": lead["tokens"],
        "created_at": iso_time(now),
    }
