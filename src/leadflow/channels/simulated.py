"""Channels that send nothing and answer at once with a configured outcome.

They are the default, so ``make run`` works with no account anywhere and a demo lead shows a
whole timeline: the call row, its status history and the messages are written exactly as with
a real provider; only the provider is missing. ``sent`` keeps what would have gone out (the
most recent ``keep`` of each), which the tests and the demo read.
"""

from __future__ import annotations

import itertools
import os
from collections import deque
from dataclasses import dataclass, field

from leadflow.channels.protocol import OutboundCall, OutboundEmail, OutboundSms, SendResult

DEFAULT_KEEP = 1000


_RUN = os.urandom(8).hex()
_SENDS = itertools.count()


def _new_run() -> None:
    global _RUN, _SENDS
    _RUN, _SENDS = os.urandom(8).hex(), itertools.count()


os.register_at_fork(after_in_child=_new_run)


def _sid(prefix: str) -> str:
    """Unique across processes (a random run id) and sends (a counter): as unique as a uuid4,
    without drawing random bytes for each of the thousands of sends of a batch."""
    return f"SIM{prefix}{_RUN}{next(_SENDS):016x}"


@dataclass
class SimulatedVoice:
    outcome: str = "completed"
    seconds: int = 45
    sent: deque[OutboundCall] = field(default_factory=lambda: deque(maxlen=DEFAULT_KEEP))

    async def place_call(self, call: OutboundCall) -> SendResult:
        self.sent.append(call)
        answered = self.outcome == "completed"
        return SendResult(
            accepted=self.outcome != "failed",
            status=self.outcome,
            provider_id=_sid("CA"),
            error="simulated failure" if self.outcome == "failed" else None,
            answered=answered,
            duration=self.seconds if answered else 0,
        )


@dataclass
class SimulatedSms:
    outcome: str = "delivered"
    sent: deque[OutboundSms] = field(default_factory=lambda: deque(maxlen=DEFAULT_KEEP))

    async def send_sms(self, sms: OutboundSms) -> SendResult:
        self.sent.append(sms)
        failed = self.outcome == "failed"
        return SendResult(
            accepted=not failed,
            status=self.outcome,
            provider_id=_sid("SM"),
            error="simulated failure" if failed else None,
        )


@dataclass
class SimulatedEmail:
    sent: deque[OutboundEmail] = field(default_factory=lambda: deque(maxlen=DEFAULT_KEEP))

    async def send_email(self, email: OutboundEmail) -> SendResult:
        self.sent.append(email)
        return SendResult(accepted=True, status="sent", provider_id=_sid("EM"))
