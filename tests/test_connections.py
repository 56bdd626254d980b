"""Pooled PostgreSQL connections that the server ended while they sat idle."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import URL

from storage.db import Database
from tests.conftest import about_database, postgres_database

pytestmark = pytest.mark.postgres


@pytest.fixture
def postgres_url(postgres_template: URL) -> Iterator[str]:
    """A fresh, migrated PostgreSQL database (SQLite has no connections for a server to end)."""
    with postgres_database(postgres_template.database) as url:
        yield url


def _end_connections(url: str) -> int:
    """End every client's connection to the database at `url`, as a restart of its server
    would: each server process gone (waited for, up to 10 s) before this returns. The server's
    own workers on it (autovacuum, on a busy server) are left alone and not counted."""
    return len(
        about_database(
            url,
            "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity "
            "WHERE datname = :name AND pid <> pg_backend_pid() "
            "AND backend_type = 'client backend'",
        )
    )


def _server_pid(db: Database) -> int:
    with db.unit_of_work() as session:
        return int(session.scalar(sa.text("SELECT pg_backend_pid()")) or 0)


def test_a_connection_ended_while_idle_is_replaced_before_use(postgres_url: str) -> None:
    db = Database.from_url(postgres_url)
    first = _server_pid(db)
    assert _end_connections(postgres_url) == 1  # the pooled one, idle
    assert _server_pid(db) not in (0, first)  # a new connection, and no error
    db.dispose()


def test_a_healthy_pooled_connection_is_used_again(postgres_url: str) -> None:
    db = Database.from_url(postgres_url)
    first = _server_pid(db)
    assert [_server_pid(db) for _ in range(3)] == [first] * 3
    db.dispose()
