"""The database goes away while the bot runs: one line when it goes, one when it is back, tries
spaced out meanwhile, and the work it held up is done once it is back."""

from __future__ import annotations

import asyncio
import logging
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from storage.db import Database
from tests.conftest import POSTGRES_ADMIN_URL, about_database
from tests.factories import OPENING
from tests.harness import running_bot
from tests.predicates import question

pytestmark = pytest.mark.slow  # the whole bot against the emulator

OUTAGE_SECONDS = 3.0


@contextmanager
def _postgres_away(url: str) -> Iterator[None]:
    """No connection to the database is allowed, and those open are ended (as when its server
    restarts), for the block."""
    name = make_url(url).database
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
        connection.execute(
            sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
            {"n": name},
        )
        try:
            yield
        finally:
            connection.execute(sa.text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
    admin.dispose()


@contextmanager
def _sqlite_away(url: str, db: Database) -> Iterator[None]:
    """The database file is moved away and a folder is where it was (as when its disk is
    unmounted), for the block."""
    path = Path(str(make_url(url).database))
    aside = path.with_name("aside")
    aside.mkdir()
    db.engine.dispose()  # connections open now are closed when they are given back
    files = [p for p in path.parent.glob(f"{path.name}*") if p.is_file()]
    for file in files:
        file.rename(aside / file.name)
    path.mkdir()
    try:
        yield
    finally:
        path.rmdir()
        for file in files:
            (aside / file.name).rename(file)
        shutil.rmtree(aside)


async def _logged(caplog: pytest.LogCaptureFixture, text: str, timeout: float = 30.0) -> None:  # noqa: ASYNC109
    """Wait until a log line contains `text`."""
    async with asyncio.timeout(timeout):
        while not any(text in r.getMessage() for r in caplog.records):  # noqa: ASYNC110
            await asyncio.sleep(0.05)  # a log record comes with no event to wait for


async def test_an_outage_is_logged_once_and_the_work_waits_for_the_database(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, "bot")
    async with running_bot(database_url) as bot:
        fang = bot.user(101, "Wang Fang")
        await fang.send(f"/start {bot.invite()}")
        assert "Welcome, Wang Fang" in (await fang.next_message()).text
        caplog.clear()

        postgres = database_url.startswith("postgresql")
        away = (
            _postgres_away(database_url)
            if postgres
            else _sqlite_away(database_url, bot.services.db)
        )
        with away:
            bot.clock.set(OPENING)  # the month end opens as soon as the database is back
            await _logged(caplog, "the database is unreachable")
            await fang.send("hello")
            assert "something went wrong" in (await fang.next_message()).text
            await asyncio.sleep(OUTAGE_SECONDS)  # the outage lasts; the bot keeps trying
        await fang.wait_for(question(1), timeout=45)
        await _logged(caplog, "the database is back after")

        if postgres:  # the sender holds its instance lock again: the others see it alive
            assert _advisory_locks(database_url) == 1
    ours = [r for r in caplog.records if r.name.startswith(("bot", "storage", "telegram"))]
    messages = [(r.levelname, r.getMessage()) for r in ours]
    assert [m for m in messages if m[0] not in ("INFO", "DEBUG")] == [
        ("ERROR", messages_starting(messages, "the database is unreachable")[0])
    ]
    assert len(messages_starting(messages, "the database is back after")) == 1
    assert not [r for r in ours if r.exc_info], "no tracebacks"
    tries = messages_starting(messages, "the database is still unreachable")
    assert 3 <= len(tries) <= 12, tries  # pauses of 0.05 s doubling, over about 3 s


def messages_starting(messages: list[tuple[str, str]], text: str) -> list[str]:
    return [message for _, message in messages if message.startswith(text)]


def _advisory_locks(url: str) -> int:
    """Advisory locks held in the database: one per running bot process."""
    (count,) = about_database(
        url,
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = "
        "(SELECT oid FROM pg_database WHERE datname = :name)",
    )
    return int(count)
