"""Registry files in their real shapes, compressed or not, with rejected rows explained."""

from __future__ import annotations

import gzip
import zipfile
from pathlib import Path

import numpy as np
import pytest

from leadflow.dnc.formats import BAD_AREA_CODE, NOT_A_NUMBER, Rejects, read_numbers

ROWS = ["201,5550123", "212,5550000", "999,9999999"]
EXPECTED = [2015550123, 2125550000, 9999999999]


def numbers_of(path: Path) -> tuple[list[int], Rejects]:
    rejects = Rejects()
    found = np.concatenate(list(read_numbers(path, rejects)) or [np.empty(0, np.int64)])
    return sorted(found.tolist()), rejects


@pytest.mark.parametrize(
    "text",
    [
        "\n".join(ROWS) + "\n",
        "AreaCode,PhoneNumber\r\n" + "\r\n".join(ROWS) + "\r\n",
        "\n".join(r.replace(",", "") for r in ROWS),
        "phone\n" + "\n".join("1" + r.replace(",", "") for r in ROWS) + "\n",
    ],
    ids=["areacode-comma-number", "with-header-crlf", "ten-digits-no-final-newline", "leading-1"],
)
def test_each_registry_shape_reads_the_same_numbers(tmp_path: Path, text: str) -> None:
    path = tmp_path / "list.txt"
    path.write_text(text)
    found, rejects = numbers_of(path)
    assert found == EXPECTED
    assert rejects.total == 0


def test_gz_and_zip_are_read_directly(tmp_path: Path) -> None:
    body = ("\n".join(ROWS) + "\n").encode()
    gz = tmp_path / "list.txt.gz"
    gz.write_bytes(gzip.compress(body))
    zipped = tmp_path / "list.zip"
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("201.txt", body)
    assert numbers_of(gz)[0] == EXPECTED
    assert numbers_of(zipped)[0] == EXPECTED


def test_rejected_rows_are_counted_with_line_and_reason(tmp_path: Path) -> None:
    rows = ["201,5550123"] * 5 + ["101,5550123", "20155501x3", "201,5550124"]
    path = tmp_path / "list.txt"
    path.write_text("\n".join(rows) + "\n")
    found, rejects = numbers_of(path)
    assert found == [2015550123] * 5 + [2015550124]
    assert rejects.by_reason == {BAD_AREA_CODE: 1, NOT_A_NUMBER: 1}
    assert [s["line"] for s in rejects.samples] == [6, 7]
    assert rejects.samples[1]["row"] == "20155501x3"
