"""Engine, sessions and the unit of work: the one place where a transaction commits."""

from __future__ import annotations

import select
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"


class DatabaseUnavailable(Exception):
    """The database cannot be opened; the message names it (without its password) and says
    why, in one line."""


_STATEMENT_FAILURES: Final = ("40", "55", "57014")
"""PostgreSQL error codes that the driver counts as operational although the database is
there: a transaction rolled back (serialization failure, deadlock), a lock not available, a
statement cancelled."""


def unavailable(exc: BaseException) -> bool:
    """Whether `exc` says the database is away (refused, closed, cannot be opened, out of
    disk) rather than that a statement failed: the same work may succeed once it is back."""
    if not isinstance(exc, (OperationalError, InterfaceError)):
        return False
    code = getattr(exc.orig, "sqlstate", None) or ""
    return not code.startswith(_STATEMENT_FAILURES)


def reason(exc: BaseException) -> str:
    """The first line of the driver's own words for `exc` (SQLAlchemy's wrapping left out)."""
    cause = getattr(exc, "orig", None) or exc
    lines = str(cause).strip().splitlines()
    return lines[0] if lines else type(cause).__name__


def _prepare_sqlite(url: str) -> dict[str, Any]:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    return {"timeout": 30}


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # transactions begin in _sqlite_begin, not lazily
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


READING: Final = "monthend_reading"
"""The execution option of the connections that `Database.reading` sessions use."""


def _sqlite_begin(connection: Connection) -> None:
    """Take SQLite's write lock when a transaction begins: the driver would otherwise begin
    only at the first write, after reads that another process may have changed since. A
    reading session's transaction takes none: in WAL mode it reads a snapshot and holds up no
    one's writes."""
    reads_only = connection.get_execution_options().get(READING, False)
    connection.exec_driver_sql("BEGIN" if reads_only else "BEGIN IMMEDIATE")


def _check_idle(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Replace a pooled PostgreSQL connection that the server has ended while it sat idle (a
    restart, an administrator, an idle timeout), before it is used. The server says nothing on
    an idle connection unless it ends it (or, rarely, sends a notice, and then a new connection
    costs nothing but its opening), so anything there to read means it is gone: found without
    the round trip a ping costs every unit of work."""
    if dbapi_connection.closed:
        raise DisconnectionError("the connection is closed")
    poller = select.poll()
    poller.register(dbapi_connection.pgconn.socket, select.POLLIN)
    if poller.poll(0):
        raise DisconnectionError("the server ended the connection while it was idle")


def make_engine(url: str) -> Engine:
    """Create an engine for a SQLAlchemy URL; SQLite gets WAL, foreign keys, its folder, and
    transactions that hold the write lock from their start (one writer at a time)."""
    if make_url(url).get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args=_prepare_sqlite(url))
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    engine = create_engine(url)
    event.listen(engine.pool, "checkout", _check_idle)
    return engine


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to `revision` with the Alembic migrations.

    On SQLite, foreign keys are off while migrating: a migration that rebuilds a table (copy,
    drop, rename) would otherwise delete every row referring to it with ON DELETE CASCADE.
    They are checked afterwards, and the upgrade is undone if any is broken.
    """
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:  # outside any transaction, where SQLite honours it
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        try:
            with connection.begin():
                config.attributes["connection"] = connection
                command.upgrade(config, revision)
                if sqlite and connection.exec_driver_sql("PRAGMA foreign_key_check").first():
                    raise RuntimeError("the upgrade would break foreign keys; it was undone")
        finally:
            if sqlite:
                connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]


def _refuse_writes(session: Session, _context: Any, _instances: Any) -> None:
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("a reading session does not write")


class Database:
    """A database: an engine and the sessions made from it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._readers = sessionmaker(engine.execution_options(**{READING: True}))
        event.listen(self._readers, "before_flush", _refuse_writes)

    @classmethod
    def from_url(cls, url: str) -> Database:
        """Connect to the database at `url`."""
        return cls(make_engine(url))

    @classmethod
    def opened(cls, url: str) -> Database:
        """The database at `url`, once it has answered: DatabaseUnavailable when it cannot be
        reached or opened (a server down, a wrong password, a file that cannot be created)."""
        parsed = make_url(url)
        try:
            database = cls.from_url(url)
            with database.engine.connect():
                pass
        except (OSError, OperationalError, InterfaceError) as exc:
            why = reason(exc).replace(parsed.password, "***") if parsed.password else reason(exc)
            where = parsed.render_as_string(hide_password=True)
            raise DatabaseUnavailable(f"the database {where} cannot be opened: {why}") from None
        return database

    def upgrade(self) -> None:
        """Apply every pending migration."""
        upgrade(self.engine)

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """A session for one unit of work: committed when the block ends, rolled back on error."""
        with self._sessions() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session that only reads (a report over a big department): its transaction ends
        without committing, and on SQLite it takes no lock, so the seconds it may take hold up
        no one's writes; an object changed in it refuses to be flushed."""
        with self._readers() as session:  # closing it rolls its transaction back
            yield session

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
