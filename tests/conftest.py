"""Shared fixtures: a fresh database per test on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url

from storage.db import Database, make_engine, upgrade

POSTGRES_ADMIN_URL = os.environ.get(
    "MONTHEND_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def _admin() -> sa.Engine:
    return sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")


def about_database(url: str, statement: str) -> list[Any]:
    """What `statement` returns (its first column), run by PostgreSQL's administrator outside
    any transaction; `:name` in it stands for the name of the database at `url`."""
    admin = _admin()
    with admin.connect() as connection:
        found = connection.scalars(sa.text(statement), {"name": make_url(url).database}).all()
    admin.dispose()
    return list(found)


def _postgres_reachable() -> str | None:
    """None when PostgreSQL answers, else why not."""
    try:
        with _admin().connect() as connection:
            connection.execute(sa.text("select 1"))
    except Exception as exc:
        return f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
    return None


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[URL]:
    """A migrated PostgreSQL database to copy per test; skips when there is no server."""
    problem = _postgres_reachable()
    if problem is not None:
        pytest.skip(
            f"PostgreSQL is not reachable at {make_url(POSTGRES_ADMIN_URL).render_as_string()} "
            f"({problem}); set MONTHEND_TEST_POSTGRES_URL to run the PostgreSQL tests"
        )
    name = f"monthend_tpl_{uuid.uuid4().hex[:10]}"
    admin = _admin()
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_ADMIN_URL).set(database=name)
    engine = make_engine(url.render_as_string(hide_password=False))
    upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file to copy per test."""
    path = tmp_path_factory.mktemp("template") / "monthend.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@contextmanager
def postgres_database(template: str | None = None) -> Iterator[str]:
    """The URL of a new PostgreSQL database (a copy of `template`, or empty) for the block."""
    name = f"monthend_t_{uuid.uuid4().hex[:10]}"
    copy = f' TEMPLATE "{template}"' if template else ""
    with _admin().connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"{copy}'))
    yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    with _admin().connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a fresh, migrated database on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "monthend.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    template: URL = request.getfixturevalue("postgres_template")
    with postgres_database(template.database) as url:
        yield url


@pytest.fixture(params=BACKENDS)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a database with no schema at all, on each backend (for migration tests)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    request.getfixturevalue("postgres_template")  # skips, saying why, when there is no server
    with postgres_database() as url:
        yield url


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    """A fresh, migrated database."""
    database = Database.from_url(database_url)
    yield database
    database.dispose()
