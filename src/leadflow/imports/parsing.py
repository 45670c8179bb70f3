"""A file's rows as posts' parameters: the part of an import that needs neither the database
nor the event loop.

Each row becomes the raw parameters of a ``POST /api/v1/leads`` (its columns under their mapped
names, the import's lead token beside them) and goes through intake's own ``parse_intake``, so
a row is normalised, and refused naming each bad field, exactly as the post would be. Being
pure, this runs wherever it is cheapest: in the importing process for a small file, in a
second process beside it for a large one (:mod:`leadflow.imports.pipeline`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from leadflow.kit.errors import TrackDriveError
from leadflow.leads.params import IntakeParams, parse_intake

CsvRow = tuple[int, list[str]]
"""A data row: its number in the file (the header is row 1) and its values."""
SKIP = ""
"""A mapping to this name leaves the column out."""


class ParsedRow(NamedTuple):
    """A row read: its parameters, or the API's message refusing it. A tuple, because a
    large import sends a million of them between processes."""

    number: int
    values: list[str]
    params: IntakeParams | None
    error: str | None


def message(error: TrackDriveError) -> str:
    """The API's answer to a post as one line: ``caller_id: is not a valid phone number``."""
    parts = []
    for name, messages in error.errors.items():
        for text in messages:
            parts.append(text if name == "base" else f"{name}: {text}")
    return "; ".join(parts) or f"refused ({error.status})"


def row_fields(
    header: Sequence[str], values: Sequence[str], mapping: Mapping[str, str]
) -> dict[str, Any]:
    """A row as a post's raw parameters: each column under its mapped name (its header when
    unmapped), blank cells left out so that they set nothing. ValueError when the row holds
    more values than the header names columns."""
    extra = [value for value in values[len(header) :] if value.strip()]
    if extra:
        raise ValueError(f"the row has {len(values)} values; the header names {len(header)}")
    fields: dict[str, Any] = {}
    for column, value in zip(header, values, strict=False):
        name = mapping.get(column, column)
        if name != SKIP and value.strip():
            fields[name] = value
    return fields


@dataclass(frozen=True)
class RowParser:
    """What every row of one import is read with: the file's header, the mapping, the
    import's lead token and the region its owner reads bare numbers in."""

    header: tuple[str, ...]
    mapping: Mapping[str, str]
    lead_token: str
    region: str
    max_json_depth: int

    def parse(self, row: CsvRow) -> ParsedRow:
        number, values = row
        try:
            raw = row_fields(self.header, values, self.mapping)
        except ValueError as exc:
            return ParsedRow(number, values, None, str(exc))
        raw["lead_token"] = self.lead_token
        try:
            params = parse_intake(raw, self.region, max_json_depth=self.max_json_depth)
        except TrackDriveError as exc:
            return ParsedRow(number, values, None, message(exc))
        return ParsedRow(number, values, params, None)

    def parse_all(self, rows: Sequence[CsvRow]) -> list[ParsedRow]:
        return [self.parse(row) for row in rows]
