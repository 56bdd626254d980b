"""Which bot processes are alive, so that work a dead one had claimed can be recognised.

Each process takes a random id. On PostgreSQL it holds a session advisory lock on that id
for as long as it runs; the database releases the lock the moment the process's connection
goes (a crash, SIGKILL, a lost machine), so "can the lock be taken?" answers "is it dead?".
SQLite serves one bot process per database file, so there every other id is a dead one.
"""

from __future__ import annotations

import contextlib
import secrets
from typing import Final

from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

LOCKS: Final = 0x6D6F6E74
"""The first key of this project's transaction locks: the two-key space is apart from the
instance ids' one-key space."""
CONFIG_SYNC: Final = 1
"""The second key of the lock under which a process writes the config's departments and
managers: processes starting together would otherwise both add the same department."""


def _postgres(bind: Engine | Connection) -> bool:
    return bind.dialect.name == "postgresql"


class InstanceLock:
    """This process's id, held as a lock while it runs."""

    def __init__(self, engine: Engine) -> None:
        self.id = secrets.randbits(62)
        self._engine = engine
        self._connection: Connection | None = None

    def hold(self) -> None:
        """Take the lock (on PostgreSQL, on a connection kept for the purpose), or take it
        again when that connection was lost, and the lock with it (the database restarted)."""
        if not _postgres(self._engine):
            return
        if self._connection is not None:
            try:
                self._connection.execute(select(1))
                self._connection.rollback()
                return
            except DBAPIError:
                self._forget()
        connection = self._engine.connect()
        connection.execute(select(func.pg_advisory_lock(self.id)))
        connection.commit()
        self._connection = connection

    def release(self) -> None:
        """Give the lock up (the process is stopping); a lost connection took it along."""
        if self._connection is None:
            return
        with contextlib.suppress(DBAPIError):
            self._connection.execute(select(func.pg_advisory_unlock(self.id)))
            self._connection.commit()
        self._forget()

    def _forget(self) -> None:
        assert self._connection is not None
        with contextlib.suppress(DBAPIError):
            self._connection.close()
        self._connection = None


def is_dead(session: Session, instance_id: int) -> bool:
    """Whether the process `instance_id` (not this one) has stopped."""
    connection = session.connection()
    if not _postgres(connection):
        return True
    # Taken only until this transaction ends: a dead process's lock is free to take.
    return bool(session.scalar(select(func.pg_try_advisory_xact_lock(instance_id))))


def one_process_at_a_time(session: Session, purpose: int) -> None:
    """Wait until no other process's transaction holds `purpose`, then hold it until this one
    ends. SQLite takes its write lock when a transaction begins, so there transactions are one
    at a time already."""
    if _postgres(session.connection()):
        session.execute(select(func.pg_advisory_xact_lock(LOCKS, purpose)))
