"""Benchmark: the /export workbook of a big department, written by XlsxWriter (the product's
writer, in its default mode), by XlsxWriter in its constant-memory mode, and by openpyxl
(write-only mode, as /export wrote it before), side by side in one run.

    .venv/bin/python -m bench.export_writers [--members 10000] [--months 24] [--repeat 5]
        [--backend sqlite|postgresql|both] [--profile FILE]

The department and its month ends are those of bench/digest_render.py (filling is not
measured); the newest month end's digest is gathered once, and its sheets built once (every
writer gets the same sheets, so only the writing differs). Then the writers take turns,
`--repeat` rounds, the order reversed each round, so that a busier minute on the machine falls
on all, each with Python's garbage collector paused as /export has it. Each writer's time is
the best of its rounds: the process's CPU time (what the goal is checked on: other work on the
machine disturbs it less) and wall-clock time. Peak memory of each comes from one more run
under tracemalloc (Python's allocations only; not timed).

The run fails (exit status 1) unless the product's writer takes under GOAL_RATIO of openpyxl's
CPU time, and when a workbook does not hold the same cells as openpyxl's (values, their types
and number formats, read back with openpyxl).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from zoneinfo import ZoneInfo

import openpyxl
from xlsxwriter import Workbook

from bench.databases import add_backend_option, throwaway_database, usable, verdict
from bench.digest_render import READER, fill, gather
from bench.machine import load, machine
from bench.xlsx_openpyxl import openpyxl_workbook
from bot.digest.render.workbook import Sheet, workbook, write_sheets
from bot.digest.render.xlsx import digest_sheets
from bot.gc_pause import collection_paused
from storage.db import Database

MEMBERS: Final = 10_000
MONTHS: Final = 24
GOAL_RATIO: Final = 0.5
"""XlsxWriter's CPU time as a share of openpyxl's, at most (the same run, the same sheets)."""
Writer = Callable[[ZoneInfo, Sequence[Sheet]], bytes]


def constant_memory(zone: ZoneInfo, sheets: Sequence[Sheet]) -> bytes:
    """The workbook as XlsxWriter writes it in constant-memory mode: each row to the file as
    it is done, every text in its cell (no table of shared strings)."""
    out = io.BytesIO()
    book = Workbook(out, {"constant_memory": True})
    write_sheets(book, zone, sheets)
    book.close()
    return out.getvalue()


WRITERS: Final[dict[str, Writer]] = {
    "openpyxl": openpyxl_workbook,
    "constant": constant_memory,
    "xlsxwriter": workbook,
}
"""openpyxl first: the others are compared with it."""


@dataclass(frozen=True)
class Result:
    """One writer on one backend's digest: its best times, peak memory and the file."""

    backend: str
    writer: str
    members: int
    seconds: float
    cpu_seconds: float
    peak_mib: float
    file: bytes


def measure(
    backend: str, members: int, months: int, repeat: int, profile: Path | None
) -> list[Result]:
    """Fill a database, gather the digest, and time both writers in turns."""
    with throwaway_database(backend) as url:
        db = Database.from_url(url)
        try:
            fill(db, members, months)
            digest = gather(db)
        finally:
            db.dispose()
    zone, sheets = digest.timezone, digest_sheets(digest, READER)
    best = {name: (float("inf"), float("inf")) for name in WRITERS}
    files: dict[str, bytes] = {}
    for round_ in range(repeat):
        for name in list(WRITERS)[:: -1 if round_ % 2 else 1]:
            with collection_paused():
                wall, cpu = time.perf_counter(), time.process_time()
                files[name] = WRITERS[name](zone, sheets)
                cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            best[name] = (min(best[name][0], wall), min(best[name][1], cpu))
    peaks = {}
    for name, write in WRITERS.items():
        tracemalloc.start()
        write(zone, sheets)
        peaks[name] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    if profile is not None:
        profiler = cProfile.Profile()
        with collection_paused():
            profiler.runcall(workbook, zone, sheets)
        profiler.dump_stats(profile)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(15)
    return [
        Result(backend, name, members, *best[name], peaks[name], files[name]) for name in WRITERS
    ]


Cells = dict[tuple[int, int], tuple[object, str | None, str]]


def cells(file: bytes) -> list[tuple[str, Cells]]:
    """Every sheet's name and its cells that hold a value (value, data type, number format)
    by row and column, read with openpyxl."""
    book = openpyxl.load_workbook(io.BytesIO(file), read_only=True)
    return [
        (
            ws.title,
            {
                (row, column): (cell.value, cell.data_type, cell.number_format)
                for row, values in enumerate(ws.iter_rows())
                for column, cell in enumerate(values)
                if cell.value is not None
            },
        )
        for ws in book.worksheets
    ]


def report(results: Sequence[Result], compare: bool) -> list[str]:
    """The table, then per backend the ratio verdict and (with `compare`) whether both files
    hold the same cells."""
    head: tuple[str, ...] = (
        "backend",
        "writer",
        "members",
        "best s",
        "best CPU s",
        "peak MiB",
        "file MiB",
    )
    lines = ["  ".join(f"{h:>10}" for h in head)]
    for r in results:
        row: tuple[str, ...] = (
            r.backend,
            r.writer,
            f"{r.members:,}",
            f"{r.seconds:.3f}",
            f"{r.cpu_seconds:.3f}",
        )
        row += (f"{r.peak_mib:.1f}", f"{len(r.file) / 2**20:.2f}")
        lines.append("  ".join(f"{c:>10}" for c in row))
    for start in range(0, len(results), len(WRITERS)):
        old, *others = results[start : start + len(WRITERS)]
        reference = cells(old.file) if compare else []
        for new in others:
            ratio, wall = new.cpu_seconds / old.cpu_seconds, new.seconds / old.seconds
            goal = new.writer == "xlsxwriter"
            ok = "ok" if ratio < GOAL_RATIO or not goal else "FAIL"
            lines.append(
                f"{ok if goal else 'note'}: {new.backend}, {new.members:,} members: {new.writer} "
                f"took x{ratio:.2f} of openpyxl's CPU time (wall x{wall:.2f}) side by side"
                + (f" (goal: under x{GOAL_RATIO})" if goal else "")
            )
            if compare:
                same = cells(new.file) == reference
                lines.append(
                    f"{'ok' if same else 'FAIL'}: {new.backend}: {new.writer}'s workbook holds "
                    f"{'the same' if same else 'other'} cells as openpyxl's (values, types, "
                    "number formats)"
                )
    return [*lines, f"{machine()} at the end"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; 0 when the goal is met and the workbooks agree."""
    parser = argparse.ArgumentParser(prog="python -m bench.export_writers", description=__doc__)
    parser.add_argument("--members", type=int, default=MEMBERS)
    parser.add_argument("--months", type=int, default=MONTHS)
    parser.add_argument("--repeat", type=int, default=5, help="rounds of both writers (best)")
    parser.add_argument("--profile", type=Path, metavar="FILE", help="profile XlsxWriter")
    parser.add_argument("--no-compare", action="store_true", help="skip reading both back")
    add_backend_option(parser)
    args = parser.parse_args(argv)
    started = load()
    results = []
    for backend in usable(args.backend):
        results += measure(backend, args.members, args.months, args.repeat, args.profile)
        print(f"measured {args.members:,} members on {backend}", file=sys.stderr, flush=True)
    return verdict([f"at the start {started}", *report(results, not args.no_compare)])


if __name__ == "__main__":
    sys.exit(main())
