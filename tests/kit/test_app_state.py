"""The app's state is read through ``leadflow.app_state``'s typed accessors, never the bag."""

from __future__ import annotations

import re
from pathlib import Path

import leadflow
from leadflow.app import create_app
from leadflow.app_state import AppState, state_of
from leadflow.settings import Settings

SOURCE = Path(leadflow.__file__).parent
# ``app_state.py`` is the accessor (it reads the bag once); ``app.py`` puts the state in it.
ALLOWED = {"app_state.py": r".", "app.py": r"app\.state\.leadflow = state"}


def test_no_module_reads_app_state_untyped() -> None:
    found = []
    for path in sorted(SOURCE.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        allowed = ALLOWED.get(str(path.relative_to(SOURCE)))
        for number, line in enumerate(text.splitlines(), start=1):
            if re.search(r"\bapp\.state\b", line) and not (allowed and re.search(allowed, line)):
                found.append(f"{path.relative_to(SOURCE)}:{number}: {line.strip()}")
    assert found == [], "use leadflow.app_state.app_state(request) or state_of(app):\n" + "\n".join(
        found
    )


def test_an_app_carries_its_settings_and_clock_before_it_starts() -> None:
    settings = Settings(database_url="sqlite+aiosqlite:///:memory:")
    state = state_of(create_app(settings))
    assert isinstance(state, AppState)
    assert state.settings is settings
    assert state.dnc is None  # the lists open at startup
