"""E-mail through an SMTP server of the operator's choosing, with ``aiosmtplib``.

One connection per message keeps the channel stateless (any worker, any moment); SMTP servers
take that well at the rates a schedule sends. The Message-ID carries our message uuid, so a
bounce or a reply can be traced back to the row that sent it.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, parseaddr

import aiosmtplib

from leadflow.channels.protocol import OutboundEmail, SendResult
from leadflow.settings import Settings


@dataclass(frozen=True)
class SmtpServer:
    """Where the mail goes and how we log in; empty username means no AUTH."""

    host: str
    port: int
    username: str = ""
    password: str = ""
    starttls: bool = False
    tls: bool = False
    timeout: float = 30.0

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpServer:
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value(),
            starttls=settings.smtp_starttls,
            tls=settings.smtp_tls,
        )


def build_message(email: OutboundEmail) -> EmailMessage:
    """A plain-text message whose Message-ID names our message uuid."""
    message = EmailMessage()
    message["From"] = email.from_
    message["To"] = email.to
    message["Subject"] = email.subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = message_id(email)
    message.set_content(email.body)
    return message


def message_id(email: OutboundEmail) -> str:
    domain = parseaddr(email.from_)[1].rpartition("@")[2] or "leadflow.invalid"
    return f"<{email.message_uuid}@{domain}>"


@dataclass(frozen=True)
class SmtpEmail:
    server: SmtpServer

    async def send_email(self, email: OutboundEmail) -> SendResult:
        message = build_message(email)
        server = self.server
        try:
            await aiosmtplib.send(
                message,
                hostname=server.host,
                port=server.port,
                username=server.username or None,
                password=server.password or None,
                start_tls=server.starttls,
                use_tls=server.tls,
                timeout=server.timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            refusals = "; ".join(f"{r.recipient}: {r.code} {r.message}" for r in exc.recipients)
            return _failed(refusals)
        except (aiosmtplib.SMTPConnectError, aiosmtplib.SMTPConnectTimeoutError) as exc:
            return _failed(f"cannot reach {server.host}:{server.port}: {exc}")
        except aiosmtplib.SMTPResponseException as exc:
            return _failed(f"{exc.code} {exc.message}")
        except (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPReadTimeoutError) as exc:
            # The server may have taken the message before it went silent.
            return SendResult(
                accepted=False, status="unknown", error=str(exc) or type(exc).__name__
            )
        except (aiosmtplib.SMTPException, OSError) as exc:
            return _failed(str(exc) or type(exc).__name__)
        return SendResult(accepted=True, status="sent", provider_id=message["Message-ID"])


def _failed(error: str) -> SendResult:
    return SendResult(accepted=False, status="failed", error=error)
