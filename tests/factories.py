"""Building blocks for tests: a config, services on a manual clock, registered people."""

from __future__ import annotations

import itertools
import tomllib
from datetime import UTC, datetime
from pathlib import Path

from bot.config import Config
from bot.services import directory
from bot.services.context import Services
from bot.timing.clock import ManualClock
from storage.db import Database

TOKEN = "123456:TEST-token-for-the-emulator"
UNPACED = "messages_per_second = 1000\nchat_messages_per_second = 1000"
"""The body of ``[sending]`` for tests, which wait for every reply: no need to pace them like
Telegram."""
MANAGER_ID = 9001
# Monday 30 November 2026 is the last working day of the month; 10:00 in Shanghai is 02:00 UTC.
OPENING = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
BEFORE_OPENING = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)
# The deadline: Wednesday 2 December 2026, 18:00 in Shanghai.
DEADLINE = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


CONFIG_FILE = """
[bot]
api_url = "{api_url}"
tick_seconds = {tick_seconds}

[sending]
{sending}

[database]
url = "{database_url}"

[defaults]
language = "en"
timezone = "Asia/Shanghai"

[departments.sales]
name = "Sales"

[[managers]]
telegram_id = {manager}
name = "Li Wei"
department = "sales"
"""


def _config_text(
    database_url: str,
    api_url: str,
    extra: str = "",
    tick_seconds: float = 0.2,
    sending: str = UNPACED,
) -> str:
    text = CONFIG_FILE.format(
        api_url=api_url,
        database_url=database_url,
        manager=MANAGER_ID,
        tick_seconds=tick_seconds,
        sending=sending,
    )
    return text + extra


def make_config(
    database_url: str, api_url: str = "http://127.0.0.1:9/bot", extra: str = ""
) -> Config:
    """A one-department config (sales, Asia/Shanghai) with one manager; `extra` TOML is
    appended, e.g. a `[departments.sales.schedule]` table."""
    data = tomllib.loads(_config_text(database_url, api_url, extra))
    return Config.from_mapping(data, env={"MONTHEND_BOT_TOKEN": TOKEN})


def write_config(
    folder: Path,
    database_url: str,
    api_url: str = "http://127.0.0.1:9/bot",
    extra: str = "",
    tick_seconds: float = 0.2,
    sending: str = UNPACED,
) -> Path:
    """The config of `make_config` as a file, for the command line and bot processes (which
    run the scheduler every `tick_seconds` and pace messages as the `sending` table says)."""
    path = folder / "config.toml"
    text = _config_text(database_url, api_url, extra, tick_seconds, sending)
    path.write_text(text, encoding="utf-8")
    return path


def make_services(
    db: Database, database_url: str, now: datetime = BEFORE_OPENING, extra: str = ""
) -> Services:
    """Services on a manual clock, with the config's departments and managers stored."""
    config = make_config(database_url, extra=extra)
    services = Services(db=db, config=config, clock=ManualClock(now))
    directory.sync_config(services)
    return services


def clock_of(services: Services) -> ManualClock:
    """The manual clock of test services."""
    assert isinstance(services.clock, ManualClock)
    return services.clock


def register(
    services: Services, telegram_id: int, name: str, language: str = "en", department: str = "sales"
) -> int:
    """Register a member of `department` through an invite, as `/start <code>` does."""
    code = directory.create_invite(services, department)
    first, _, last = name.partition(" ")
    user = directory.TelegramUser(telegram_id, first, last or None, None, language)
    outcome = directory.join(services, user, code)
    assert outcome.member_id is not None, outcome.replies
    return outcome.member_id


_PRESSES = itertools.count(1)


def press_id() -> str:
    """A fresh callback query id, as Telegram gives each press of a button."""
    return f"press-{next(_PRESSES)}"
