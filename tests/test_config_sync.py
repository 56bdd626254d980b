"""Storing the config's departments and managers when several processes start at once (a bot
instance and an admin command, or several instances): each waits for the one before it and
finds what it stored, instead of adding the same department twice."""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from bot.services import directory
from bot.services.context import Services
from bot.timing.clock import ManualClock
from storage.db import Database
from storage.instances import CONFIG_SYNC, one_process_at_a_time
from storage.models import Department, Member, Role
from tests.factories import BEFORE_OPENING, MANAGER_ID, make_config


def _waiting_on_a_lock(database_url: str) -> int:
    """How many other connections to the database wait for a lock."""
    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        waiting = connection.scalar(
            sa.text(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        )
    engine.dispose()
    return int(waiting or 0)


def test_a_process_storing_the_config_while_another_does_waits_and_finds_it_stored(
    database_url: str,
) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite's transactions take the write lock as they begin: one at a time")
    first, second = Database.from_url(database_url), Database.from_url(database_url)
    failures: list[BaseException] = []

    def start_second() -> None:
        services = Services(
            db=second, config=make_config(database_url), clock=ManualClock(BEFORE_OPENING)
        )
        try:
            directory.sync_config(services)
        except BaseException as exc:  # reported by the test below
            failures.append(exc)

    thread = threading.Thread(target=start_second)
    with first.unit_of_work() as session:  # the first process, halfway through storing it
        one_process_at_a_time(session, CONFIG_SYNC)
        session.add(Department(key="sales", name="Sales", timezone="Asia/Shanghai", language="en"))
        session.flush()
        thread.start()
        deadline = time.monotonic() + 30
        while not _waiting_on_a_lock(database_url):
            assert time.monotonic() < deadline, "the second process never waited"
            time.sleep(0.05)
    thread.join(30)
    assert not thread.is_alive()
    assert failures == []
    with first.unit_of_work() as session:
        assert session.scalars(select(Department.key)).all() == ["sales"]
        manager = session.scalars(select(Member).where(Member.telegram_id == MANAGER_ID)).one()
        assert manager.role is Role.MANAGER
    first.dispose()
    second.dispose()
