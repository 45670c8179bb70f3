"""``leadflow leads import FILE.csv --lead-token T``: a CSV file of leads, row by row through
intake's rules, with a progress bar; run it again after a kill and it resumes."""

from __future__ import annotations

import asyncio
import gc
import os
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text

leads_app = typer.Typer(help="Leads in bulk.", no_args_is_help=True)


class RowsPerSecond(ProgressColumn):
    """Rows a second, as the bar's speed. Rich's own estimate needs two updates, which a file
    of one batch never gives: then it is this run's rows over its time (``first`` is where the
    run began, a resumed import's committed rows)."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        elapsed = task.finished_time or task.elapsed
        done = task.completed - task.fields.get("first", 0)
        if not speed and elapsed and done > 0:
            speed = done / elapsed
        return Text(f"{speed:,.0f} rows/s" if speed else "- rows/s")


def parse_mapping(pairs: list[str]) -> dict[str, str]:
    """``["Phone=caller_id", "Notes="]`` → ``{"Phone": "caller_id", "Notes": ""}``."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        column, sep, name = pair.partition("=")
        if not sep or not column.strip():
            raise typer.BadParameter(f"{pair!r} is not column=name", param_hint="--map")
        mapping[column.strip()] = name.strip()
    return mapping


@leads_app.command("import")
def import_leads(
    file: Path = typer.Argument(..., help="The CSV file (UTF-8 or Latin-1; , ; or tab)."),
    lead_token: str = typer.Option(
        ..., "--lead-token", help="The schedule's or offer's lead token, as POST /leads takes."
    ),
    mapping: list[str] = typer.Option(
        [],
        "--map",
        help="column=name: the POST /leads field or token a column fills (unmapped columns "
        "keep their header's name); column= leaves it out. Repeatable.",
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Check every row as intake would parse it; write nothing."
    ),
    errors: Path = typer.Option(
        None, "--errors", help="Where rejected rows go (default: FILE.errors.csv)."
    ),
    batch_rows: int | None = typer.Option(None, hidden=True, min=1, max=10_000),
) -> None:
    """Import a CSV file of leads: each row is a POST /api/v1/leads (normalisation, duplicates,
    suppression, attribution, tokens); rejected rows go to an errors CSV with the API's message.
    Killed midway, the same command resumes where the import stopped."""
    from leadflow.db.migrate import upgrade
    from leadflow.settings import get_settings

    out = errors or file.with_name(f"{file.stem}.errors.csv")
    if not out.parent.is_dir() or not os.access(out.parent, os.W_OK):
        # Said before any row is stored: afterwards the rejected rows could not be written.
        typer.echo(
            f"error: --errors: cannot write {out} (no such folder, or not writable)", err=True
        )
        raise typer.Exit(2)
    settings = get_settings()
    upgrade(settings.database_url)
    code = asyncio.run(
        _run(
            settings.database_url,
            file,
            lead_token,
            parse_mapping(mapping),
            dry_run,
            out,
            batch_rows,
        )
    )
    raise typer.Exit(code)


async def _run(
    database_url: str,
    file: Path,
    lead_token: str,
    mapping: dict[str, str],
    dry_run: bool,
    out: Path,
    batch_rows: int | None,
) -> int:
    from leadflow.clock import SystemClock
    from leadflow.db.engine import create_engine, make_sessionmaker
    from leadflow.db.group_commit import GroupCommitter
    from leadflow.dnc.registry import DncRegistry
    from leadflow.imports import flow
    from leadflow.imports.pipeline import spare_core
    from leadflow.imports.repository import ImportConflictError
    from leadflow.imports.service import BATCH_ROWS, LeadImporter, Rejected
    from leadflow.imports.service import Progress as Standing
    from leadflow.kit.csv_reader import CsvFileError, count_rows, inspect
    from leadflow.kit.errors import TrackDriveError
    from leadflow.leads.owner import OwnerCache
    from leadflow.models import LeadImportStatus
    from leadflow.settings import get_settings

    settings = get_settings()
    console = Console(stderr=True)
    engine = create_engine(database_url, settings.db_pool_size)
    committer = GroupCommitter(engine)
    sessionmaker = make_sessionmaker(engine)
    clock = SystemClock()
    owners = OwnerCache(engine)
    dnc = DncRegistry(engine, settings.dnc_dir, settings.dnc_refresh_seconds)
    importer = LeadImporter(
        committer,
        owners,
        clock,
        max_json_depth=settings.max_json_depth,
        batch_rows=batch_rows or BATCH_ROWS,
        dnc=dnc,
        helper_process=spare_core(),
    )
    record_id: int | None = None
    try:
        if dry_run:
            await owners.resolve(lead_token)  # a wrong token is the first thing said
            layout = inspect(file)
            flow.check_mapping(layout.header, mapping)
            start = Standing(count_rows(file, layout), 0, 0, 0)
            resumed = False
        else:
            record, layout, resumed = await flow.open_import(
                sessionmaker, owners, clock, file, lead_token, mapping
            )
            record_id = record.id
            start = Standing(record.total_rows, record.rows_done, record.accepted, record.rejected)
        sep = {"\t": "tab"}.get(layout.delimiter, layout.delimiter)
        console.print(
            f"{file.name}: {layout.reported_encoding}, separated by {sep}, "
            f"{start.total} rows, columns: {', '.join(layout.header)}"
        )
        if layout.encoding == "latin-1":
            console.print("note: the file is not UTF-8; it was read as Latin-1")
        if resumed:
            console.print(f"resuming after row {start.rows_done} of {start.total}")
        if not dry_run:
            console.print(f"its page in the web app: /imports/{record.uuid}")
        dry_errors = flow.RejectedFile(out, layout.header)
        bar = Progress(
            TextColumn("dry run" if dry_run else "importing"),
            BarColumn(),
            MofNCompleteColumn(),
            RowsPerSecond(),
            TimeRemainingColumn(),
            TextColumn("accepted {task.fields[accepted]:,} rejected {task.fields[rejected]:,}"),
            console=console,
        )
        # The process exists for this import: what it holds by now lives as long as it does,
        # so the collector's full passes (a few a minute, 70 ms each) need not walk it again.
        gc.collect()
        gc.freeze()
        with bar:
            task = bar.add_task(
                "import",
                total=start.total,
                completed=start.rows_done,
                first=start.rows_done,
                accepted=start.accepted,
                rejected=start.rejected,
            )

            def on_batch(progress: Standing, rejected: list[Rejected]) -> None:
                bar.update(
                    task,
                    completed=progress.rows_done,
                    accepted=progress.accepted,
                    rejected=progress.rejected,
                )
                if dry_run:
                    dry_errors.add(rejected)

            if dry_run:
                done = await importer.run(
                    file,
                    layout,
                    lead_token,
                    mapping,
                    import_id=None,
                    start=start,
                    on_batch=on_batch,
                )
                dry_errors.close()
            else:
                done = await flow.run_import(sessionmaker, importer, record, layout, on_batch)
        if done.rejected and record_id is not None:
            await flow.write_errors(sessionmaker, record_id, layout.header, out)
        verb = "would be accepted" if dry_run else "accepted"
        typer.echo(
            f"{done.accepted} {verb}, {done.rejected} rejected"
            + (f" (see {out})" if done.rejected else "")
        )
        return 0
    except CsvFileError as exc:
        if record_id is not None:
            await flow.finish_import(
                sessionmaker, clock, record_id, LeadImportStatus.FAILED, str(exc)
            )
        console.print(f"error: {exc}")
        return 2
    except TrackDriveError as exc:
        console.print(f"error: --lead-token: {flow.message(exc)}")
        return 2
    except flow.MappingError as exc:
        console.print(f"error: --map: {exc}")
        return 2
    except ImportConflictError:
        console.print(
            "error: another process is running this import (a second leadflow leads import "
            "of the same file); no row was doubled. Run it again once that one has stopped."
        )
        return 2
    finally:
        dnc.close()
        await committer.close()
        await engine.dispose()
