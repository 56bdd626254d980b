"""Benchmark: a year's report of a big department, beside the month's digest of the same data.

    .venv/bin/python -m bench.span_report [--sizes 1000 10000] [--months 24]
        [--backend sqlite|postgresql|both] [--repeat 3]

Each backend and size gets a new database filled as `bench.digest_render` fills it: one
department, `--months` month ends up to November 2026, every member in each (not measured).
Then, one after another, on the same database:

- month: the reference — the November digest gathered (``build_digest``) and its HTML report
  rendered, as a manager gets it at the deadline;
- year: the report of 2026 gathered (``build_span_report``: eleven month ends and the eleven
  a year before) and its HTML report rendered, as `/digest 2026` gives it;
- workbook: the year's report as the `/export 2026` workbook.

Times are the best of ``--repeat`` runs, wall-clock and the process's CPU time; peak memory is
measured in separate runs under tracemalloc. The year's time is also given as a ratio to the
month's, measured side by side on the same machine, which other work disturbs far less than
seconds. The run fails (exit status 1) when the year report's CPU time per member grows more
than GROWTH_SLACK times from one size to the next (faster than linearly), or when the year
report of GOAL_MEMBERS members takes GOAL_SECONDS of wall-clock time or more.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from typing import Any, Final

from sqlalchemy import select

from bench import databases
from bench.databases import Measured
from bench.digest_render import NEWEST, NOW, READER, fill
from bot.digest.gather.build import build_digest
from bot.digest.render.report import render_report_html
from bot.digest.span_report.gather import build_span_report
from bot.digest.span_report.html import render_span_html
from bot.digest.span_report.model import SpanReport
from bot.digest.span_report.xlsx import span_xlsx
from bot.timing.spans import Year
from storage.db import Database
from storage.models import Cycle, Department

SIZES: Final = (1_000, 10_000)
MONTHS: Final = 24
GOAL_MEMBERS: Final = 10_000
GOAL_SECONDS: Final = 10.0
YEAR: Final = Year(NEWEST.year)


def _month(db: Database) -> Any:
    with db.unit_of_work() as session:
        cycle = session.scalars(select(Cycle).where(Cycle.period == str(NEWEST))).one()
        return render_report_html(build_digest(session, cycle, NOW), READER)


def _year_report(db: Database) -> SpanReport:
    with db.unit_of_work() as session:
        department = session.scalars(select(Department)).one()
        report = build_span_report(session, department, YEAR, NOW)
    assert report is not None
    return report


def _year(db: Database) -> Any:
    return render_span_html(_year_report(db), READER)


def _workbook(db: Database) -> Any:
    return span_xlsx(_year_report(db), READER)


STEPS: Final[dict[str, Callable[[Database], Any]]] = {
    "month": _month,
    "year": _year,
    "workbook": _workbook,
}


class Result(Measured):
    """One size on one backend, with the year beside the month."""

    @property
    def ratio(self) -> float:
        """The year report's wall-clock time over the month digest's."""
        return self.seconds["year"] / self.seconds["month"]


def measure(backend: str, members: int, months: int, repeat: int) -> Result:
    """Fill a database on `backend` for `members` members and measure every step on it."""
    with databases.throwaway_database(backend) as url:
        db = Database.from_url(url)
        try:
            fill(db, members, months)
            seconds: dict[str, float] = {}
            cpu: dict[str, float] = {}
            for name, step in STEPS.items():
                seconds[name] = cpu[name] = float("inf")
                for _ in range(repeat):
                    wall, started = time.perf_counter(), time.process_time()
                    step(db)
                    cpu[name] = min(cpu[name], time.process_time() - started)
                    seconds[name] = min(seconds[name], time.perf_counter() - wall)
            peak: dict[str, float] = {}
            tracemalloc.start()
            try:
                for name, step in STEPS.items():
                    tracemalloc.reset_peak()
                    step(db)
                    peak[name] = tracemalloc.get_traced_memory()[1] / 2**20
            finally:
                tracemalloc.stop()
            return Result(backend, members, seconds, cpu, peak)
        finally:
            db.dispose()


def report(results: Sequence[Result]) -> list[str]:
    """The table of results, then the growth and goal verdicts ("FAIL" lines failed)."""
    head = ["backend", "members", *(f"{n} s" for n in STEPS), "year/month"]
    head += [f"{n} CPU s" for n in STEPS] + [f"{n} peak MiB" for n in STEPS]
    lines = ["  ".join(f"{h:>14}" for h in head)]
    for r in results:
        cells = [r.backend, f"{r.members:,}", *(f"{r.seconds[n]:.3f}" for n in STEPS)]
        cells += [f"x{r.ratio:.2f}", *(f"{r.cpu_seconds[n]:.3f}" for n in STEPS)]
        cells += [f"{r.peak_mib[n]:.1f}" for n in STEPS]
        lines.append("  ".join(f"{c:>14}" for c in cells))
    for small, big in itertools.pairwise(results):
        if small.backend == big.backend:
            members, cpu = (small.members, big.members), (small.cpu_seconds, big.cpu_seconds)
            what = "the year report's CPU time"
            lines.append(
                databases.growth_verdict(
                    big.backend, members, (cpu[0]["year"], cpu[1]["year"]), what
                )
            )
            lines.append(
                f"note: {big.backend}: the year beside the month's digest x{small.ratio:.2f} "
                f"at {small.members:,} members, x{big.ratio:.2f} at {big.members:,}"
            )
    for r in results:
        if r.members == GOAL_MEMBERS:
            what = "the year's report gathered and rendered"
            more = (
                f", x{r.ratio:.2f} the month's digest; its workbook {r.seconds['workbook']:.2f} s"
            )
            lines.append(
                databases.goal_verdict(
                    r.backend, r.members, r.seconds["year"], GOAL_SECONDS, what, more
                )
            )
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    """Measure each size on each backend; exit status 0 when the year report grows linearly
    and meets its goal."""
    parser = argparse.ArgumentParser(prog="python -m bench.span_report", description=__doc__)
    databases.add_size_options(parser, SIZES, MONTHS)
    args = parser.parse_args(argv)
    results = []
    for backend in databases.usable(args.backend):
        for members in sorted(args.sizes):
            results.append(measure(backend, members, args.months, args.repeat))
            print(f"measured {members:,} members on {backend}", file=sys.stderr, flush=True)
    return databases.verdict(report(results))


if __name__ == "__main__":
    sys.exit(main())
