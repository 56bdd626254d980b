"""Sessions that only read (`Database.reading`): a long read, such as a big department's
report, holds up nobody's writes, and nothing is written through one."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from storage.db import Database
from storage.models import Department

WAIT_SECONDS = 10.0


def _department(key: str) -> Department:
    return Department(key=key, name=key.title(), timezone="Asia/Shanghai", language="en")


def _count(db: Database) -> int:
    with db.reading() as session:
        return session.scalar(select(func.count(Department.id))) or 0


def test_a_write_goes_through_while_a_long_read_is_open(db: Database) -> None:
    reading, written = threading.Event(), threading.Event()
    seen: list[int] = []

    def long_read() -> None:
        with db.reading() as session:
            seen.append(session.scalar(select(func.count(Department.id))) or 0)
            reading.set()
            written.wait(WAIT_SECONDS)  # still reading while the write is made

    reader = threading.Thread(target=long_read)
    reader.start()
    try:
        assert reading.wait(WAIT_SECONDS)
        writer = threading.Thread(target=_write, args=(db, written))
        writer.start()
        writer.join(WAIT_SECONDS / 2)
        assert written.is_set()  # not held up until the read ends
    finally:
        written.set()
        reader.join()
    assert seen == [0]
    assert _count(db) == 1


def _write(db: Database, written: threading.Event) -> None:
    with db.unit_of_work() as session:
        session.add(_department("sales"))
    written.set()


def test_nothing_is_written_through_a_reading_session(db: Database) -> None:
    with db.reading() as session:
        session.add(_department("sales"))
        with pytest.raises(RuntimeError, match=r"^a reading session does not write$"):
            session.flush()
    with db.reading() as session:
        session.add(_department("sales"))
        with pytest.raises(RuntimeError, match=r"^a reading session does not write$"):
            session.scalar(select(func.count(Department.id)))  # flushed before the query
    assert _count(db) == 0
