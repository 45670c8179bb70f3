"""Logs carry no secret and no full phone number, in text or JSON."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys

import pytest
from pydantic import ValidationError

from leadflow.ops.logging import JsonFormatter, RedactingFilter, redact
from leadflow.settings import Settings


@pytest.mark.parametrize(
    ("written", "logged"),
    [
        ("dialing +12125550123 now", "dialing +*******0123 now"),
        ("caller (212) 555-0123", "caller (***) ***-0123"),
        ("+44 20 7946 0958 opted out", "+** ** **** 0958 opted out"),
        ("Authorization: Basic YWJjOmRlZg==", "Authorization: Basic [redacted]"),
        ('{"private_key": "sk_live_1"}', '{"private_key": "[redacted]"}'),
        ("password=hunter2&x=1", "password=[redacted]&x=1"),
        ("{'authorization': 'Bearer abc'}", "{'authorization': 'Bearer [redacted]'}"),
        (
            "HTTP Request: POST https://buyer.example/in?key=k3y&auth=a9&pwd=p4&n=2",
            "HTTP Request: POST https://buyer.example/in?key=[redacted]&auth=[redacted]"
            "&pwd=[redacted]&n=2",
        ),
        (
            "HTTP Request: GET https://buyer.example/in?phone=%2B18004506787&n=2",
            "HTTP Request: GET https://buyer.example/in?phone=%2B*******6787&n=2",
        ),
        (
            "HTTP Request: POST https://buyer:hunter2@example.com/in",
            "HTTP Request: POST https://buyer:[redacted]@example.com/in",
        ),
        ("pair lfpub_ab12:lfprv_Xy-9_z rejected", "pair lfpub_ab12:lfprv_[redacted] rejected"),
        (
            "[SQL: INSERT INTO leads VALUES (?)]\n[parameters: [('92a9', 'jo@example.com')]]",
            "[SQL: INSERT INTO leads VALUES (?)]\n[parameters: [redacted]]",
        ),
        ("batch of 256 units for lead 1234567 at 2026-12-05 13:01:02", None),
        ("connected to postgresql://leadflow@db:5432/leadflow", None),
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


def test_debug_shows_leadflows_lines_but_not_the_drivers_statements() -> None:
    """At ``DEBUG`` aiosqlite logs each statement with its parameters (a lead token here)."""
    script = (
        "import asyncio, logging, aiosqlite; from leadflow.ops.logging import configure_logging;"
        "configure_logging('json', 'DEBUG');"
        "logging.getLogger('leadflow.cadence.job').debug('working lead 81');"
        "\nasync def main():\n"
        "    async with aiosqlite.connect(':memory:') as db:\n"
        "        await db.execute('SELECT ?', ('92a970092335b7ec36ec874f094e5687',))\n"
        "asyncio.run(main())"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], env=os.environ, capture_output=True, text=True, check=True
    )
    assert "92a970092335b7ec36ec874f094e5687" not in result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines()]
    assert [line["message"] for line in lines] == ["working lead 81"]


def test_an_unknown_log_level_is_refused_when_the_settings_are_read() -> None:
    with pytest.raises(ValidationError, match="must be DEBUG, INFO, WARNING, ERROR or CRITICAL"):
        Settings(log_level="verbose")
    assert Settings(log_level="debug").log_level == "DEBUG"
