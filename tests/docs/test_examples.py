"""Every ```bash block of the README and the docs runs, in order, on a fresh install.

The blocks are run by bash against a real ``leadflow serve`` on a fresh SQLite database, after
``eval "$(.venv/bin/leadflow demo --env)"`` (what the README tells the reader to do), with
``set -euo pipefail`` and ``curl`` failing on any error answer. A page's blocks run in one shell,
so a variable one block sets (``LEAD_ID=$(curl ...)``) is there for the next, as it is for a
reader pasting them into one terminal. Blocks fenced as ``console`` or ``text`` are shown only
(output, placeholders, long-running commands). Pages written later are picked up by
themselves; ``docs/notes/`` is not published, so it is not run.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.support.cli import LEADFLOW, leadflow_env
from tests.support.server import ServerProcess

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
BASH_BLOCK = re.compile(r"^```bash\n(.*?)^```", re.DOTALL | re.MULTILINE)

BLOCK_START = "::example block "
PRELUDE = """set -euo pipefail
# An error answer (4xx, 5xx) fails the example, whatever flags the example gave curl.
curl() { command curl --fail-with-body "$@"; echo; }
"""


def documented_pages() -> list[Path]:
    """README.md first, then every page of docs/ in path order (docs/notes/ excluded)."""
    pages = sorted(
        p for p in (ROOT / "docs").rglob("*.md") if "notes" not in p.relative_to(ROOT).parts[1:2]
    )
    return [ROOT / "README.md", *pages]


def bash_blocks(page: Path) -> list[str]:
    return BASH_BLOCK.findall(page.read_text())


def page_script(blocks: list[str], setup: str = "") -> str:
    """One script for a page's blocks, each announced on stderr so a failure is named."""
    return (
        PRELUDE
        + setup
        + "".join(
            f"echo '{BLOCK_START}{number}' >&2\n{block}"
            for number, block in enumerate(blocks, start=1)
        )
    )


def test_a_variable_set_in_one_block_is_there_in_the_next_and_a_failure_stops_the_page() -> None:
    blocks = ["LEAD_ID=$(echo 42)\n", 'test "$LEAD_ID" = 42\n', "false\n", "echo never\n"]
    result = subprocess.run(
        ["bash", "-c", page_script(blocks)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == f"{BLOCK_START}3"
    assert "never" not in result.stdout


def test_examples_are_found_and_notes_are_left_out() -> None:
    pages = documented_pages()
    assert pages[0].name == "README.md"
    assert not [p for p in pages if "docs/notes/" in p.as_posix()]
    assert bash_blocks(ROOT / "README.md"), "the README shows a first lead in bash"


def test_every_bash_example_runs_in_order_on_a_fresh_install(tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 'fresh.db'}"
    (tmp_path / ".venv").symlink_to(LEADFLOW.parent.parent)
    server = ServerProcess(database_url, tmp_path)
    server.start()
    env = leadflow_env(database_url, PORT=str(server.port))
    try:
        for page in documented_pages():
            blocks = bash_blocks(page)
            if not blocks:
                continue
            script = page_script(blocks, 'eval "$(.venv/bin/leadflow demo --env)"\n')
            result = subprocess.run(
                ["bash", "-c", script],
                cwd=tmp_path,
                env=env,
                capture_output=True,
                text=True,
                timeout=60 * len(blocks),
                check=False,
            )
            started = re.findall(f"^{BLOCK_START}(\\d+)$", result.stderr, re.MULTILINE)
            number = int(started[-1]) if started else 1
            assert result.returncode == 0, (
                f"{page.relative_to(ROOT)}, bash block {number} failed ({result.returncode}):\n"
                f"{blocks[number - 1]}\n"
                f"--- stdout\n{result.stdout[-3000:]}\n--- stderr\n{result.stderr[-3000:]}"
            )
    finally:
        server.stop()
