"""The bots of bench.answer_throughput as processes of their own, and the CPU time they and
their database server use."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from bot.emulator import Emulator

START_SECONDS: Final = 60.0
"""How long a bot may take to start polling (and a member to get the first question)."""


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of process `pid` so far (0 when it cannot be read)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class BotProcess:
    """A bot running in a process of its own, and where to read the CPU time it uses."""

    process: asyncio.subprocess.Process
    database_pids: Callable[[], list[int]] = list

    def cpu(self) -> dict[str, float]:
        """CPU seconds used so far by the bot's process and by its database server."""
        database = sum(cpu_seconds(pid) for pid in self.database_pids())
        return {"bot": cpu_seconds(self.process.pid), "database": database}


@asynccontextmanager
async def bot_process(
    name: str, args: Sequence[str], emulator: Emulator, log: Path, token: str
) -> AsyncIterator[asyncio.subprocess.Process]:
    """`python ARGS...` with its output in `log` and `token` as its bot token, polling
    `emulator`; stopped with SIGTERM when the block ends."""
    env = {**os.environ, "MONTHEND_BOT_TOKEN": token, "PYTHONUNBUFFERED": "1"}
    with log.open("ab") as out:
        process = await asyncio.create_subprocess_exec(
            sys.executable, *args, env=env, stdout=out, stderr=asyncio.subprocess.STDOUT
        )
    try:
        if not await emulator.wait_until_polling(START_SECONDS):
            raise RuntimeError(f"the {name} bot did not start polling; see {log}")
        yield process
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), START_SECONDS)
            except TimeoutError:
                process.kill()
                await process.wait()


def database_processes(stack: AsyncExitStack, database_url: str | None) -> Callable[[], list[int]]:
    """A function listing the PostgreSQL server processes that serve the bot's connections
    to its database, when the server runs on this machine (otherwise, and for SQLite, none)."""
    if database_url is None:
        return list
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql" or url.host not in ("127.0.0.1", "localhost"):
        return list
    engine = sa.create_engine(url)
    stack.callback(engine.dispose)
    query = sa.text(
        "SELECT pid FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
    )

    def pids() -> list[int]:
        with engine.connect() as connection:
            return list(connection.scalars(query))

    return pids
