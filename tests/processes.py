"""Real `monthend` processes for crash and scale tests: admin commands, bot processes that can
be killed, and members registered in bulk."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.roster import add_active_members
from bot.emulator import EmulatorClient, SimulatedUser
from bot.timing.periods import Period
from storage.db import Database
from tests.factories import MANAGER_ID, TOKEN, make_services

ALWAYS_OPEN = """
[departments.sales.schedule]
quiet_hours = ""
quiet_on_days_off = false
"""
"""Config for processes on the real clock: nothing waits for the morning or a working day."""


def bot_env(**extra: str) -> dict[str, str]:
    """The environment of a `monthend` process: the test token, unbuffered output."""
    return {**os.environ, "MONTHEND_BOT_TOKEN": TOKEN, "PYTHONUNBUFFERED": "1", **extra}


async def spawn(
    config: Path, *args: str, output: Any, env: dict[str, str] | None = None
) -> asyncio.subprocess.Process:
    """Start `monthend --config CONFIG ARGS...`."""
    return await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "bot", "--config", str(config), *args),
        env=env or bot_env(),
        stdout=output,
        stderr=asyncio.subprocess.STDOUT,
    )


async def monthend(config: Path, *args: str) -> str:
    """Run a `monthend` admin command to completion and return what it printed."""
    process = await spawn(config, *args, output=asyncio.subprocess.PIPE)
    output, _ = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode == 0, output.decode()
    return output.decode()


@asynccontextmanager
async def bot_process(
    config: Path, log: Path, *args: str, env: dict[str, str] | None = None
) -> AsyncIterator[asyncio.subprocess.Process]:
    """`monthend run ARGS...` with its output appended to `log`; killed when the block ends."""
    with log.open("ab") as out:
        process = await spawn(config, "run", *args, output=out, env=env)
    try:
        yield process
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def terminate(process: asyncio.subprocess.Process) -> int:
    """Stop a bot process as a service manager does (SIGTERM); its exit code."""
    process.terminate()
    return await asyncio.wait_for(process.wait(), 60)


async def add_members(
    database_url: str, client: EmulatorClient, telegram_ids: Iterable[int]
) -> None:
    """Active members of sales who have opened the bot, registered in one go."""
    ids = list(telegram_ids)
    db = Database.from_url(database_url)
    make_services(db, database_url)  # the departments and managers of the config
    add_active_members(db, "sales", ids, datetime.now(UTC))
    db.dispose()
    await client.add_users([{"id": i, "first_name": f"Member {i}"} for i in ids])


async def month_end_opened(
    database_url: str,
    client: EmulatorClient,
    config: Path,
    members: Iterable[int],
    period: Period,
) -> SimulatedUser:
    """Sales' `members` and its manager (who has opened the bot), and the month end of
    `period` opened with `monthend cycle open`; returns the manager."""
    await add_members(database_url, client, members)
    await client.add_users([{"id": MANAGER_ID, "first_name": "Li"}])
    await monthend(config, "cycle", "open", "--department", "sales", "--period", str(period))
    return client.user(MANAGER_ID, "Li")
