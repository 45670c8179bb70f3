"""A large import parses its rows in a second process: the rows it hands over are the rows
this process would have parsed, a file found unreadable midway is still the importer's clear
error, and the helper never outlives the import."""

from __future__ import annotations

import os
from contextlib import aclosing
from pathlib import Path

import pytest

from leadflow.imports.parsing import ParsedRow, RowParser
from leadflow.imports.pipeline import ParseJob, parsed_batches
from leadflow.kit.csv_reader import CsvFileError, inspect
from tests.support.processes import child_pids, command_line

HEADER = "phone,first_name,notes,sub\n"


def _parser(path: Path) -> RowParser:
    layout = inspect(path)
    mapping = {"phone": "caller_id", "sub": "sub_id"}
    return RowParser(layout.header, mapping, "token", "US", 32)


async def _all(
    path: Path, *, helper: bool, start: int = 0, stop: int | None = None
) -> list[ParsedRow]:
    layout = inspect(path)
    batches = parsed_batches(ParseJob(path, layout, _parser(path), start, stop, 3), helper=helper)
    rows: list[ParsedRow] = []
    async with aclosing(batches):
        async for batch in batches:
            assert 0 < len(batch) <= 3
            rows.extend(batch)
    return rows


def _helpers() -> list[int]:
    """This process's import helpers still running."""
    return [
        pid for pid in child_pids(os.getpid()) if "leadflow.imports.pipeline" in command_line(pid)
    ]


async def test_the_helper_hands_over_the_rows_this_process_would_parse(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    rows = [
        '2025550101,Ann,"two\nlines",s1',  # a quoted newline keeps one row
        "",  # blank: skipped, neither accepted nor rejected
        "not a number,Bob,,s2",  # refused with the API's message
        "2025550103,Céline,,s3,extra",  # more values than the header names
        "2025550104,Dee,,s4",
        "+44 20 7946 0958,Eve,,",
        "2025550106,Fay,,s6",
    ]
    path.write_bytes((HEADER + "\n".join(rows) + "\n").encode("latin-1", "replace"))

    here = await _all(path, helper=False)
    there = await _all(path, helper=True)

    assert there == here
    assert [row.number for row in there] == [2, 4, 5, 6, 7, 8]
    by_number = {row.number: row for row in there}
    ann, eve = by_number[2].params, by_number[7].params
    assert ann is not None
    assert eve is not None
    assert (ann.caller_id, eve.caller_id) == ("+12025550101", "+442079460958")
    assert ann.tokens == {"first_name": "Ann", "notes": "two\nlines"}
    assert by_number[4].error == "caller_id: is not a phone number"
    assert by_number[5].error == "the row has 5 values; the header names 4"
    # A resumed import starts after the rows it has done, and a worker's slice stops early.
    assert await _all(path, helper=True, start=2, stop=4) == here[2:4]
    assert not _helpers()


async def test_a_file_unreadable_midway_is_the_importers_error_after_the_rows_before_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / "leads.csv"
    good = "".join(f"20255501{n:02d},Ann,,s\n" for n in range(10))
    path.write_text(HEADER + good + '2025550199,"Bob"x,,s\n', encoding="utf-8")
    layout = inspect(path)
    received: list[ParsedRow] = []

    async def read_all() -> None:
        batches = parsed_batches(ParseJob(path, layout, _parser(path), 0, None, 4), helper=True)
        async with aclosing(batches):
            async for batch in batches:
                received.extend(batch)

    with pytest.raises(CsvFileError, match="row 12 cannot be read"):
        await read_all()
    assert len(received) == 8  # the two full batches before the bad row's batch
    assert not _helpers()


async def test_an_importer_that_stops_early_ends_its_helper(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_text(
        HEADER + "".join(f"+1202555{n:04d},Ann,,s\n" for n in range(5000)), encoding="utf-8"
    )
    layout = inspect(path)
    batches = parsed_batches(ParseJob(path, layout, _parser(path), 0, None, 10), helper=True)
    async with aclosing(batches):
        first = await anext(batches)
        assert len(_helpers()) == 1, "the helper is not running"
    assert [row.number for row in first] == list(range(2, 12))
    assert not _helpers()
