"""The store answers exactly as a set of numbers would, through every kind of change."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from leadflow.dnc.build import BitmapBuilder, write_store
from leadflow.dnc.store import HEADER_BYTES, SLOT_BYTES, DncBitmap, number_key

# Numbers from a few area codes, so random change lists hit listed numbers often.
keys = st.builds(
    lambda area, subscriber: area * 10_000_000 + subscriber,
    st.sampled_from([201, 202, 212, 310, 999]),
    st.integers(0, 9_999_999) | st.integers(5_550_000, 5_550_020),
)
change = st.tuples(st.sampled_from(["add", "remove"]), st.lists(keys, max_size=30))


def build(directory: Path, name: str, base: Path | None, kind: str, batch: list[int]) -> Path:
    builder = BitmapBuilder()
    if base is not None:
        with DncBitmap(base) as bitmap:
            builder.load(bitmap)
    values = np.array(batch, dtype=np.int64)
    builder.remove(values) if kind == "remove" else builder.add(values)
    path = directory / name
    write_store(builder, path)
    return path


@settings(max_examples=40, deadline=None)
@given(st.lists(keys, max_size=60), st.lists(change, max_size=4), st.lists(keys, max_size=40))
def test_store_answers_exactly_like_a_set(
    initial: list[int], changes: list[tuple[str, list[int]]], probes: list[int]
) -> None:
    expected = set(initial)
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        path = build(directory, "v0.dnc", None, "add", initial)
        for index, (kind, batch) in enumerate(changes):
            path = build(directory, f"v{index + 1}.dnc", path, kind, batch)
            expected = expected | set(batch) if kind == "add" else expected - set(batch)
        with DncBitmap(path) as bitmap:
            assert bitmap.count == len(expected)
            asked = probes + initial + [k for _, batch in changes for k in batch]
            assert [bitmap.contains(k) for k in asked] == [k in expected for k in asked]
            many = bitmap.contains_many(np.array(asked, dtype=np.int64))
            assert many.tolist() == [k in expected for k in asked]
            used = {k // 10_000_000 for k in expected}
            assert sorted(used) == bitmap.areas()
            assert path.stat().st_size == HEADER_BYTES + len(used) * SLOT_BYTES


def test_numbers_outside_the_plan_are_never_listed(tmp_path: Path) -> None:
    path = build(tmp_path, "v.dnc", None, "add", [2015550123])
    with DncBitmap(path) as bitmap:
        assert bitmap.contains(number_key("+12015550123") or -1)
        assert number_key("+442015550123") is None
        assert not bitmap.contains(-1)
        assert not bitmap.contains(10**10)
        assert bitmap.contains_many(np.array([-5, 10**11, 2015550123])).tolist() == [
            False,
            False,
            True,
        ]
