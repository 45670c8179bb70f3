"""Files as people have them: encodings, separators and quoted newlines found from the file;
a file that is not CSV is a clear error."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadflow.kit.csv_reader import MAX_LINE_CHARS, CsvFileError, count_rows, inspect, read_rows


def _file(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "leads.csv"
    path.write_bytes(data)
    return path


def test_utf8_with_a_bom_reads_the_first_header_without_it(tmp_path: Path) -> None:
    layout = inspect(_file(tmp_path, "\ufeffphone,name\n1,Zoë\n".encode()))
    assert layout.header == ("phone", "name")
    assert layout.reported_encoding == "UTF-8 (with BOM)"
    assert list(read_rows(_file(tmp_path, "\ufeffphone,name\n1,Zoë\n".encode()), layout)) == [
        (2, ["1", "Zoë"])
    ]


def test_latin1_is_read_and_reported(tmp_path: Path) -> None:
    path = _file(tmp_path, "phone;name\n1;Céline\n".encode("latin-1"))
    layout = inspect(path)
    assert (layout.encoding, layout.reported_encoding, layout.delimiter) == (
        "latin-1",
        "Latin-1",
        ";",
    )
    assert list(read_rows(path, layout)) == [(2, ["1", "Céline"])]


def test_tab_separated_and_utf16_files_are_read(tmp_path: Path) -> None:
    path = _file(tmp_path, "phone\tname\r\n1\tAnn\r\n".encode("utf-16"))
    layout = inspect(path)
    assert (layout.encoding, layout.delimiter, layout.header) == ("utf-16", "\t", ("phone", "name"))
    assert list(read_rows(path, layout)) == [(2, ["1", "Ann"])]


def test_a_quoted_newline_stays_in_its_row_and_blank_rows_are_skipped(tmp_path: Path) -> None:
    path = _file(tmp_path, b'phone,notes\n1,"two\nlines"\n\n,\n2,x\n')
    layout = inspect(path)
    assert list(read_rows(path, layout)) == [(2, ["1", "two\nlines"]), (5, ["2", "x"])]
    assert count_rows(path, layout) == 2


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "binary data"),
        (bytes(range(1, 256)) * 20, "binary data"),  # no NUL, but control bytes
        (b"\n\n", "no header row"),
        (b"phone,,name\n", "column 2 of the header has no name"),
        (b"phone,phone\n", "names phone more than once"),
    ],
)
def test_a_file_that_is_not_a_leads_csv_says_why(tmp_path: Path, data: bytes, message: str) -> None:
    with pytest.raises(CsvFileError, match=message):
        inspect(_file(tmp_path, data))


def test_a_broken_quote_names_its_row(tmp_path: Path) -> None:
    path = _file(tmp_path, b'phone,notes\n1,ok\n2,"oops"x\n')
    layout = inspect(path)
    with pytest.raises(CsvFileError, match="row 3 cannot be read"):
        list(read_rows(path, layout))


def test_a_separator_inside_a_quoted_header_does_not_decide_the_separator(
    tmp_path: Path,
) -> None:
    path = _file(tmp_path, b'"phone";"name, first"\n"+12025550142";"Ann"\n')
    layout = inspect(path)
    assert (layout.delimiter, layout.header) == (";", ("phone", "name, first"))
    assert list(read_rows(path, layout)) == [(2, ["+12025550142", "Ann"])]


def test_a_file_without_newlines_is_refused_without_reading_it_whole(tmp_path: Path) -> None:
    path = _file(tmp_path, b"ab," * (MAX_LINE_CHARS // 2))
    with pytest.raises(CsvFileError, match="row 1 cannot be read: a line longer than"):
        inspect(path)


def test_a_huge_line_after_the_header_names_its_row(tmp_path: Path) -> None:
    path = _file(tmp_path, b"phone,notes\n1,ok\n2," + b"x," * (MAX_LINE_CHARS // 2) + b"\n")
    layout = inspect(path)
    with pytest.raises(CsvFileError, match="row 3 cannot be read: a line longer than"):
        count_rows(path, layout)


def test_a_folder_is_not_a_file_and_a_missing_file_is_missing(tmp_path: Path) -> None:
    folder = tmp_path / "leads"
    folder.mkdir()
    with pytest.raises(CsvFileError, match=r"^leads: not a file$"):
        inspect(folder)
    with pytest.raises(CsvFileError, match=r"^nope\.csv: no such file$"):
        inspect(tmp_path / "nope.csv")


def test_excels_sep_line_names_the_separator_and_is_not_a_row(tmp_path: Path) -> None:
    path = _file(tmp_path, b"sep=;\r\nphone;name, first\r\n+12025550142;Ann\r\n")
    layout = inspect(path)
    assert (layout.delimiter, layout.header) == (";", ("phone", "name, first"))
    assert list(read_rows(path, layout)) == [(2, ["+12025550142", "Ann"])]
