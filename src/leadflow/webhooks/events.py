"""The webhook events a subscription may ask for, named once.

The subscriptions API validates against :data:`Event`, the web settings page offers
:data:`EVENTS`, and the emitters' name constants are spelled from the same list, so adding an
event is one line here. No imports beyond ``typing``: models, schemas and services all read it.
"""

from __future__ import annotations

from typing import Literal, get_args

# The documented TrackDrive events, then LeadSail's submission events (dotted names).
Event = Literal[
    "new_call",
    "call_ringing",
    "call_forwarded",
    "call_ended",
    "call_changed",
    "new_lead",
    "lead_ended",
    "lead_converted",
    "lead_opted_out",
    "lead_changed",
    "incoming_text_message",
    "lead.delivered",
    "lead.disqualified",
    "lead.failed",
    "lead.queued",
    "lead.processed",
]
EVENTS: tuple[str, ...] = get_args(Event)
