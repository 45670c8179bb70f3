"""``leadflow dnc``: import registry files and show the lists in force."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import typer
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
)

from leadflow.settings import get_settings

dnc_app = typer.Typer(help="Do-not-call lists: federal, state:XX, litigator.", no_args_is_help=True)


@dnc_app.command("import")
def import_list(
    source: Path = typer.Argument(..., exists=True, dir_okay=False, help=".txt, .csv, .gz, .zip"),
    list_name: str = typer.Option(..., "--list", help="federal, litigator or state:XX"),
    change_list: bool = typer.Option(
        False,
        "--change-list",
        help="Apply the file to the current version instead of "
        "replacing it (additions, or deletions with --deletions).",
    ),
    deletions: bool = typer.Option(False, "--deletions", help="The change list removes numbers."),
    progress: bool = typer.Option(True, help="Show a progress bar (rows/s, ETA)."),
    as_json: bool = typer.Option(False, "--json", help="Print the import's record as JSON."),
) -> None:
    """Import a registry file as the list's new version; readers switch when it is complete."""
    # Imported here, not with the module: every ``leadflow`` command loads this one.
    from leadflow.clock import SystemClock
    from leadflow.db.engine import create_engine, make_sessionmaker
    from leadflow.db.migrate import upgrade
    from leadflow.dnc import imports, service

    try:
        name = imports.check_list_name(list_name)
    except imports.UnknownListError as exc:
        raise typer.BadParameter(str(exc), param_hint="--list") from None
    if deletions and not change_list:
        raise typer.BadParameter("needs --change-list", param_hint="--deletions")
    kind: imports.Kind = "full" if not change_list else ("deletions" if deletions else "additions")
    settings = get_settings()
    upgrade(settings.database_url)
    started = time.monotonic()

    async def main() -> dict[str, object]:
        engine = create_engine(settings.database_url, 2)
        try:
            with _ImportBar(source, progress) as report:
                record = await service.run_import(
                    make_sessionmaker(engine),
                    settings.dnc_dir,
                    SystemClock(),
                    source,
                    name,
                    kind,
                    report,
                )
        finally:
            await engine.dispose()
        return {
            "list": record.list_name,
            "version": record.version,
            "kind": record.kind,
            "rows": record.rows,
            "rejected": record.rejected,
            "numbers": record.numbers,
            "file": record.file_name,
            "rejects": record.rejects.get("by_reason", {}),
            "seconds": round(time.monotonic() - started, 1),
        }

    try:
        out = asyncio.run(main())
    except imports.ImportConflictError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    typer.echo(json.dumps(out) if as_json else "\n".join(f"{k}: {v}" for k, v in out.items()))


class _ImportBar:
    """A rich progress bar over the source file's bytes, with rows read and rows/s."""

    def __init__(self, source: Path, shown: bool) -> None:
        self._total = source.stat().st_size
        self._shown = shown
        self._started = time.monotonic()
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            DownloadColumn(),
            TextColumn("{task.fields[rows]:,} rows, {task.fields[rate]:,.0f} rows/s"),
            TimeRemainingColumn(),
            disable=not shown,
        )
        self._task = self._progress.add_task("importing", total=self._total, rows=0, rate=0.0)

    def __enter__(self) -> _ImportBar:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def __call__(self, read: int, rows: int) -> None:
        rate = rows / max(time.monotonic() - self._started, 1e-6)
        self._progress.update(self._task, completed=read, rows=rows, rate=rate)
