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
from typing import Final

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from storage.db import Database

BACKENDS: Final = ("sqlite", "postgresql")
POSTGRES_ADMIN_URL: Final = os.environ.get(
    "MONTHEND_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def add_backend_option(parser: argparse.ArgumentParser) -> None:
    """``--backend sqlite|postgresql|both`` (both by default)."""
    parser.add_argument("--backend", choices=(*BACKENDS, "both"), default="both")


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
