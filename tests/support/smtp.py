"""A real SMTP server (aiosmtpd) on loopback that keeps what it receives.

Use the ``smtp_server`` fixture::

    def test_x(smtp_server: SmtpSink) -> None:
        settings = Settings(..., **smtp_server.settings())
        ...
        [mail] = smtp_server.messages
        assert mail.message["Subject"] == "Hello"

Its API: ``host``, ``port``, ``settings()`` (the ``Settings`` keywords that send e-mail here),
``messages`` (each a :class:`ReceivedMail` with the envelope and the parsed message), and
``refuse(address)`` (``"*"`` refuses every recipient with ``550``).
"""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.support.postgres import free_port


@dataclass(frozen=True)
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


@dataclass
class SmtpSink:
    """The aiosmtpd handler: accepts every message except for refused recipients."""

    host: str = "127.0.0.1"
    port: int = field(default_factory=free_port)
    messages: list[ReceivedMail] = field(default_factory=list)
    refused: set[str] = field(default_factory=set)

    def refuse(self, address: str) -> None:
        """Answer ``550`` to RCPT TO for ``address`` (or for everyone with ``"*"``)."""
        self.refused.add(address.lower())

    def settings(self) -> dict[str, Any]:
        return {"email_provider": "smtp", "smtp_host": self.host, "smtp_port": self.port}

    async def handle_RCPT(  # noqa: N802 (aiosmtpd's hook name)
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if "*" in self.refused or address.lower() in self.refused:
            return f"550 5.1.1 <{address}>: Recipient address rejected"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        # SMTP carries CRLF lines; a mail reader shows them as plain newlines, and so do we.
        content = envelope.content.replace(b"\r\n", b"\n")
        parsed = email.message_from_bytes(content, policy=email.policy.default)
        self.messages.append(
            ReceivedMail(
                mail_from=envelope.mail_from,
                rcpt_tos=list(envelope.rcpt_tos),
                message=parsed,
            )
        )
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server() -> Iterator[SmtpSink]:
    """A fresh SMTP server on a free loopback port, stopped after the test."""
    sink = SmtpSink()
    controller = Controller(sink, hostname=sink.host, port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()
