"""Engine, sessions and the unit of work: the one place where a transaction commits."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"


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


def _sqlite_begin(connection: Connection) -> None:
    """Take SQLite's write lock when a transaction begins: the driver would otherwise begin
    only at the first write, after reads that another process may have changed since."""
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str) -> Engine:
    """Create an engine for a SQLAlchemy URL; SQLite gets WAL, foreign keys, its folder, and
    transactions that hold the write lock from their start (one writer at a time)."""
    if make_url(url).get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args=_prepare_sqlite(url))
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True)


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


class Database:
    """A database: an engine and the sessions made from it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def from_url(cls, url: str) -> Database:
        """Connect to the database at `url`."""
        return cls(make_engine(url))

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

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
