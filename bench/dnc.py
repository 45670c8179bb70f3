"""Do-not-call store benchmark: import rate, size on disk, memory from opening, check speed.

    .venv/bin/python -m bench.dnc --numbers 20000000      # writes synthetic registry files
    .venv/bin/python -m bench.dnc --intake [--numbers 20000000] [--rounds 4] [--seconds 16]

The generator writes the FTC's flat format (``areacode,number`` per line) over 330 area codes
(the US has about that many), numbers spread as the real registry's are: dense in some
exchanges, absent from others. The import is the real one (parse, bits, file written and
renamed) without the database switch, which is one row. Figures at other scales are
extrapolated linearly from the import rate measured, and the store's size from the area codes
it holds (1.25 MB each, whatever the count).

``--intake`` measures ``bench.intake``'s lead posts with the federal list in force and without,
on one server (SQLite) in alternating rounds, so the host's drift weighs on both alike: the
list is taken out of force and put back by its ``dnc_lists`` row between rounds, as an import
switches it. The posted numbers are in an area code the list holds, so each check reads a bit.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
import timeit
from pathlib import Path

import numpy as np

from leadflow.clock import SystemClock
from leadflow.dnc import imports
from leadflow.dnc.store import DncBitmap

NATIONAL = 250_000_000
AREA_CODES = 330


def generate(path: Path, numbers: int, seed: int = 7, include: int | None = None) -> None:
    """A synthetic registry file of ``numbers`` rows (a few duplicates, as real files have);
    ``include``: an area code that must be among them."""
    rng = np.random.default_rng(seed)
    areas = rng.choice(np.arange(201, 990), AREA_CODES, replace=False)
    if include is not None and include not in areas:
        areas[0] = include
    with open(path, "wb") as out:
        left = numbers
        while left:
            n = min(left, 5_000_000)
            area = rng.choice(areas, n)
            subscriber = rng.integers(2_000_000, 10_000_000, n)
            rows = np.empty((n, 12), dtype=np.uint8)
            for column, divisor in enumerate((100, 10, 1)):
                rows[:, column] = 48 + (area // divisor) % 10
            rows[:, 3] = ord(",")
            for column, divisor in enumerate((10**6, 10**5, 10**4, 1000, 100, 10, 1)):
                rows[:, 4 + column] = 48 + (subscriber // divisor) % 10
            rows[:, 11] = ord("\n")
            out.write(rows.tobytes())
            left -= n


def rss_kib() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--numbers", type=int, default=20_000_000)
    parser.add_argument("--directory", type=Path, default=None)
    parser.add_argument("--intake", action="store_true", help="intake with and without the list")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--seconds", type=int, default=16, help="per variant, over all rounds")
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    if args.intake:
        from bench.dnc_intake import intake_ratio

        intake_ratio(args.numbers, args.rounds, args.seconds, args.connections, generate)
        return
    with tempfile.TemporaryDirectory(dir=args.directory) as tmp:
        directory = Path(tmp)
        source = directory / "federal.txt"
        started = time.perf_counter()
        generate(source, args.numbers)
        print(f"generated {args.numbers:,} rows in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        built = imports.build_version(
            directory / "dnc", "federal", "full", source, None, SystemClock()
        )
        seconds = time.perf_counter() - started
        rate = built.rows / seconds
        print(f"import: {built.rows:,} rows in {seconds:.1f} s = {rate:,.0f} rows/s")
        print(f"  250M rows at this rate: {NATIONAL / rate / 60:.1f} min (target < 5)")
        path = directory / "dnc" / built.file_name
        print(f"store: {built.numbers:,} numbers, {path.stat().st_size / 1e6:.0f} MB on disk")
        print(f"  national ({AREA_CODES} area codes): {AREA_CODES * 1.25:.0f} MB (target < 1 GB)")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(f"  import peak RSS: {peak / 1024:.0f} MB")

        os.posix_fadvise(os.open(path, os.O_RDONLY), 0, 0, os.POSIX_FADV_DONTNEED)
        before = rss_kib()
        bitmap = DncBitmap(path)
        opened = rss_kib()
        rng = np.random.default_rng(1)
        keys = rng.choice(np.arange(201, 990), 1_000_000) * 10**7 + rng.integers(
            0, 10**7, 1_000_000
        )
        probe = int(keys[0])
        loops = 1_000_000
        single = timeit.timeit(lambda: bitmap.contains(probe), number=loops) / loops
        print(f"RSS growth from opening: {(opened - before) / 1024:.1f} MB (target < 100)")
        print(f"single check: {single * 1e9:.0f} ns (target < 2000)")
        started = time.perf_counter()
        found = bitmap.contains_many(keys)
        batched = len(keys) / (time.perf_counter() - started)
        print(f"batched: {batched:,.0f} checks/s (target 1,000,000), {int(found.sum()):,} listed")
        after = rss_kib()
        print(f"RSS growth after 1M random checks: {(after - before) / 1024:.1f} MB")
        bitmap.close()


if __name__ == "__main__":
    main()
