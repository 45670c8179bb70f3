"""Logs carry no secret and no full phone number, in text or JSON."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys

import pytest

from leadflow.ops.logging import JsonFormatter, RedactingFilter, redact


@pytest.mark.parametrize(
    ("written", "logged"),
    [
        ("dialing +12125550123 now", "dialing +*******0123 now"),
        ("caller (212) 555-0123", "caller (***) ***-0123"),
        ("+44 20 7946 0958 opted out", "+** ** **** 0958 opted out"),
        ("Authorization: Basic YWJjOmRlZg==", "Authorization: Basic [redacted]"),
        ('{"private_key": "sk_live_1"}', '{"private_key": "[redacted]"}'),
        ("password=hunter2&x=1", "password=[redacted]&x=1"),
        ("batch of 256 units for lead 1234567 at 2026-12-05 13:01:02", None),
    ],
)
def test_phone_numbers_and_secrets_are_redacted(written: str, logged: str | None) -> None:
    assert redact(written) == (written if logged is None else logged)


def test_a_json_line_holds_the_redacted_message_and_exception() -> None:
    record = logging.LogRecord(
        "leadflow.test", logging.ERROR, __file__, 1, "call to %s failed", ("+12125550123",), None
    )
    try:
        raise ValueError("token=abc123 for +12125550123")
    except ValueError:
        record.exc_info = sys.exc_info()
    RedactingFilter().filter(record)

    entry = json.loads(JsonFormatter().format(record))

    assert entry["level"] == "error"
    assert entry["logger"] == "leadflow.test"
    assert entry["message"] == "call to +*******0123 failed"
    assert "abc123" not in entry["exception"]
    assert "+12125550123" not in entry["exception"]


def test_leadflow_log_format_json_makes_the_process_log_json_lines() -> None:
    script = (
        "import logging; from leadflow.ops.logging import configure_logging;"
        "from leadflow.settings import Settings; s = Settings();"
        "configure_logging(s.log_format, s.log_level);"
        "logging.getLogger('leadflow.x').warning('texting %s', '+12125550123')"
    )
    env = {**os.environ, "LEADFLOW_LOG_FORMAT": "json"}
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    entry = json.loads(result.stderr.strip())
    assert entry["message"] == "texting +*******0123"
    assert entry["level"] == "warning"
