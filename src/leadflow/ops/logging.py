"""Logs: plain text or one JSON object per line (``LEADFLOW_LOG_FORMAT=json``), and never a
secret or a full phone number in either.

Redaction is a filter on the handler, so it covers every logger (ours, uvicorn's,
SQLAlchemy's) and every argument a message is formatted with: a phone number keeps its last
four digits (``+1******0123``: enough to tell two callers apart in an incident, not enough to
call anyone), and the values of ``Authorization`` headers, private keys, passwords, tokens and
secrets written as ``name=value``, ``"name": "value"`` or ``'name': 'value'`` are replaced by
``[redacted]``, as are a URL's password (``https://user:[redacted]@host``), a key pair's
private half (``lfprv_...``) wherever it appears, and the parameters SQLAlchemy quotes in its
errors (a lead's tokens, e-mail and name travel there).

Third-party libraries log at ``INFO`` and above whatever ``LEADFLOW_LOG_LEVEL`` says: at
``DEBUG``, aiosqlite writes every statement with its parameters (lead tokens included) and
httpcore every connection step, hundreds of lines a second from an idle worker, which would
bury the cadence's per-lead lines that ``DEBUG`` is there to show.
"""

from __future__ import annotations

import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

import orjson

from leadflow.ops.request_id import current_request_id

PHONE = re.compile(r"(?<![\w:.-])(\+|%2[Bb])?(\(?\d[\d\-. ()]{6,}\d)(?![\w:])")
"""A ``+`` may be URL-encoded (``%2B``): httpx logs each outbound request's URL at ``INFO``,
and a buyer that takes its leads by ``GET`` gets the caller's number in the query string."""
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
SECRET = re.compile(
    r"(?i)(authorization|auth|private_key|password|passwd|pwd|secret|token|api[_-]?key|key)"
    r"([\"']?\s*[:=]\s*[\"']?)(basic |bearer )?([^\s\"',&}]+)"
)
URL_PASSWORD = re.compile(r"(://[^/\s:@]+:)[^/\s@]+@")
PRIVATE_KEY = re.compile(r"lfprv_[A-Za-z0-9_-]+")
SQL_PARAMETERS = re.compile(r"\[parameters: [^\n]*\]")
REDACTED = "[redacted]"


def redact(text: str) -> str:
    """``text`` with phone numbers shortened to their last four digits and secrets removed."""
    text = SECRET.sub(lambda m: f"{m.group(1)}{m.group(2)}{m.group(3) or ''}{REDACTED}", text)
    text = URL_PASSWORD.sub(rf"\1{REDACTED}@", text)
    text = PRIVATE_KEY.sub(f"lfprv_{REDACTED}", text)
    text = SQL_PARAMETERS.sub(f"[parameters: {REDACTED}]", text)
    return PHONE.sub(_mask_phone, text)


def _mask_phone(match: re.Match[str]) -> str:
    """10 to 15 digits (E.164's longest), written with or without separators, are a phone
    number: all but the last four digits become ``*``. Shorter runs (ids, counts) and dates
    stay."""
    plus, found = match.group(1) or "", match.group(2)
    digits = sum(c.isdigit() for c in found)
    if not 10 <= digits <= 15 or DATE.search(found):
        return match.group(0)
    keep = digits - 4
    masked = []
    for char in found:
        if char.isdigit() and keep > 0:
            masked.append("*")
            keep -= 1
        else:
            masked.append(char)
    return plus + "".join(masked)


class RedactingFilter(logging.Filter):
    """Formats the message once, redacted, so no handler sees the raw arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = current_request_id.get()
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, the request id
    when the line was written for a request or for a lead a request created
    (:mod:`leadflow.ops.request_id`), and the exception when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "process": record.process,
        }
        request_id = getattr(record, "request_id", None)
        if request_id is not None:
            entry["request_id"] = request_id
        if record.exc_text:
            entry["exception"] = record.exc_text
        elif record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return orjson.dumps(entry).decode()


def configure_logging(log_format: str, level: str = "INFO") -> None:
    """The root logger's one handler, on stderr, for ``serve`` and ``worker``; ``level`` for
    Leadflow's own loggers, never below ``INFO`` for other libraries' (module docstring)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactingFilter())
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    wanted = logging.getLevelNamesMapping()[level.upper()]
    root.setLevel(max(wanted, logging.INFO))
    logging.getLogger("leadflow").setLevel(wanted)
