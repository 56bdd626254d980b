"""Databases for the benchmarks: a new one for each run, on SQLite or on PostgreSQL; and how a
benchmark says which it ran on and whether it met its goals.

PostgreSQL is the server the tests use (``MONTHEND_TEST_POSTGRES_URL``, by default
127.0.0.1:5432, database ``test``); each run creates a database of its own there and drops it
afterwards.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Final

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from storage.db import Database

BACKENDS: Final = ("sqlite", "postgresql")


@dataclass(frozen=True)
class Measured:
    """One size on one backend: the wall-clock seconds, CPU seconds and peak MiB of each step
    (the best of the timed runs; the peak from a run of its own under tracemalloc)."""

    backend: str
    members: int
    seconds: dict[str, float]
    cpu_seconds: dict[str, float]
    peak_mib: dict[str, float]


POSTGRES_ADMIN_URL: Final = os.environ.get(
    "MONTHEND_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def add_backend_option(parser: argparse.ArgumentParser) -> None:
    """``--backend sqlite|postgresql|both`` (both by default)."""
    parser.add_argument("--backend", choices=(*BACKENDS, "both"), default="both")


def add_size_options(parser: argparse.ArgumentParser, sizes: Sequence[int], months: int) -> None:
    """``--sizes N…`` (members), ``--months``, ``--repeat`` (timed runs per step, the best
    counts) and ``--backend``."""
    parser.add_argument("--sizes", type=int, nargs="+", default=list(sizes), metavar="N")
    parser.add_argument("--months", type=int, default=months)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per step (best)")
    add_backend_option(parser)


def usable(option: str) -> Iterator[str]:
    """The backends `option` names that can be used here; each one left out is said why on
    standard error."""
    for backend in BACKENDS if option == "both" else (option,):
        if (problem := unreachable(backend)) is not None:
            print(f"skipped {backend}: {problem}", file=sys.stderr, flush=True)
        else:
            yield backend


def verdict(lines: Sequence[str]) -> int:
    """Print a benchmark's table and verdicts; the exit status: 1 when a line says FAIL."""
    print("\n".join(lines))
    return 1 if any(line.startswith("FAIL") for line in lines) else 0


GROWTH_SLACK: Final = 1.3
"""Allowed growth of the time per member from one size to the next (noise, cache effects)."""


def growth_verdict(
    backend: str, members: tuple[int, int], cpu_seconds: tuple[float, float], what: str
) -> str:
    """Whether `what` grew no faster than linearly from the smaller size of `members` to the
    bigger one, as a verdict line ("ok: …" or "FAIL: …")."""
    (small, big), times = members, cpu_seconds[1] / cpu_seconds[0]
    growth = times / (big / small)
    verdict = "ok" if growth <= GROWTH_SLACK else "FAIL"
    return (
        f"{verdict}: {backend}, {small:,} -> {big:,} members: {what} x{times:.1f} for "
        f"x{big / small:.0f} members (per member x{growth:.2f}; linear or better is at most "
        f"x{GROWTH_SLACK})"
    )


def goal_verdict(
    backend: str, members: int, seconds: float, goal: float, what: str, more: str = ""
) -> str:
    """Whether `what` took less than `goal` seconds, as a verdict line; `more` follows it."""
    verdict = "ok" if seconds < goal else "FAIL"
    return (
        f"{verdict}: {backend}, {members:,} members: {what} in {seconds:.2f} s (goal: under "
        f"{goal:g} s){more}"
    )


def unreachable(backend: str) -> str | None:
    """Why `backend` cannot be used here, or None when it can."""
    if backend == "sqlite":
        return None
    admin = sa.create_engine(POSTGRES_ADMIN_URL)
    try:
        with admin.connect() as connection:
            connection.execute(sa.text("select 1"))
    except sa.exc.SQLAlchemyError as exc:
        where = make_url(POSTGRES_ADMIN_URL).render_as_string()
        return f"not reachable at {where} ({str(exc).splitlines()[0]})"
    finally:
        admin.dispose()
    return None


@contextmanager
def throwaway_database(backend: str) -> Iterator[str]:
    """The URL of a new database on `backend` with every migration applied, removed when the
    block ends."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="monthend-bench-") as folder:
            url = f"sqlite:///{folder}/bench.db"
            _upgrade(url)
            yield url
        return
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"monthend_bench_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(False)
        _upgrade(url)
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _upgrade(url: str) -> None:
    db = Database.from_url(url)
    try:
        db.upgrade()
    finally:
        db.dispose()
