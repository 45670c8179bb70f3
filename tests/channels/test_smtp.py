"""E-mail goes out over real SMTP to aiosmtpd on loopback."""

from __future__ import annotations

import uuid

from leadflow.channels.protocol import OutboundEmail
from leadflow.channels.smtp import SmtpEmail, SmtpServer
from tests.support.postgres import free_port
from tests.support.smtp import SmtpSink


def an_email(to: str = "jane@example.com") -> OutboundEmail:
    return OutboundEmail(
        message_uuid=str(uuid.uuid4()),
        to=to,
        from_="Acme Leads <leads@acme.example>",
        subject="Your quote",
        body="Hello Jane,\nyour quote is ready.\n",
    )


def channel_for(sink: SmtpSink) -> SmtpEmail:
    return SmtpEmail(SmtpServer(host=sink.host, port=sink.port, timeout=5))


async def test_email_arrives_with_subject_body_sender_and_recipient(
    smtp_server: SmtpSink,
) -> None:
    email = an_email()
    result = await channel_for(smtp_server).send_email(email)

    [mail] = smtp_server.messages
    assert (result.accepted, result.status) == (True, "sent")
    assert (mail.mail_from, mail.rcpt_tos) == ("leads@acme.example", ["jane@example.com"])
    assert mail.message["From"] == "Acme Leads <leads@acme.example>"
    assert mail.message["To"] == "jane@example.com"
    assert mail.message["Subject"] == "Your quote"
    assert mail.message.get_content() == "Hello Jane,\nyour quote is ready.\n"


async def test_message_id_carries_our_message_uuid(smtp_server: SmtpSink) -> None:
    email = an_email()
    result = await channel_for(smtp_server).send_email(email)

    message_id = smtp_server.messages[0].message["Message-ID"]
    assert message_id == f"<{email.message_uuid}@acme.example>"
    assert result.provider_id == message_id


async def test_refused_recipient_fails_with_the_servers_answer(smtp_server: SmtpSink) -> None:
    smtp_server.refuse("nobody@example.com")
    result = await channel_for(smtp_server).send_email(an_email(to="nobody@example.com"))

    assert (result.accepted, result.status) == (False, "failed")
    assert result.error is not None
    assert "550" in result.error
    assert smtp_server.messages == []


async def test_unreachable_server_fails_the_send() -> None:
    channel = SmtpEmail(SmtpServer(host="127.0.0.1", port=free_port(), timeout=2))
    result = await channel.send_email(an_email())

    assert (result.accepted, result.status) == (False, "failed")
    assert result.error is not None
