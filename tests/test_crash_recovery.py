"""The bot process is killed with SIGKILL mid-questionnaire and started again: nothing is lost."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.emulator import Emulator, EmulatorClient, SimulatedUser
from bot.periods import Period
from storage.db import Database
from storage.models import Answer
from tests.factories import TOKEN, write_config

pytestmark = pytest.mark.slow


def _env() -> dict[str, str]:
    return {**os.environ, "MONTHEND_BOT_TOKEN": TOKEN, "PYTHONUNBUFFERED": "1"}


async def _spawn(config: Path, *args: str, output: Any) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "bot", "--config", str(config), *args),
        env=_env(),
        stdout=output,
        stderr=asyncio.subprocess.STDOUT,
    )


async def _monthend(config: Path, *args: str) -> str:
    """Run a `monthend` admin command to completion and return what it printed."""
    process = await _spawn(config, *args, output=asyncio.subprocess.PIPE)
    output, _ = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, output.decode()
    return output.decode()


@asynccontextmanager
async def _bot_process(config: Path, log: Path) -> AsyncIterator[asyncio.subprocess.Process]:
    with log.open("ab") as out:
        process = await _spawn(config, "run", output=out)
    try:
        yield process
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def _answer(user: SimulatedUser, text: str, next_question: int) -> None:
    await user.send(text)
    await user.wait_for(lambda m: f"Question {next_question} of 12" in m.text, timeout=30)


async def test_sigkill_mid_questionnaire_loses_nothing(database_url: str, tmp_path: Path) -> None:
    period = Period.of(date.today())
    async with Emulator(token=TOKEN) as emulator, EmulatorClient(emulator.control_url) as client:
        config = write_config(tmp_path, database_url, api_url=emulator.base_url)
        link = await _monthend(config, "invite", "--department", "sales")
        code = re.search(r"start=(\S+)", link)
        assert code is not None, link
        log = tmp_path / "bot.log"
        user = client.user(user_id=4242, first_name="Fang", last_name="Wang", language_code="en")

        async with _bot_process(config, log) as first:
            await user.send(f"/start {code.group(1)}")
            await user.wait_for(lambda m: "Welcome" in m.text, timeout=30)
            await _monthend(
                config, "cycle", "open", "--department", "sales", "--period", str(period)
            )
            await user.wait_for(lambda m: "Question 1 of 12" in m.text, timeout=30)
            await _answer(user, "Signed the Suzhou distributor; 91% of plan.", 2)
            await _answer(user, "56.05万", 3)
            await _answer(user, "5", 4)
            first.send_signal(signal.SIGKILL)
            assert await first.wait() == -signal.SIGKILL

        async with _bot_process(config, log):
            await _answer(user, "Strong demand after the trade fair", 5)

    db = Database.from_url(database_url)
    with db.unit_of_work() as session:
        stored = {a.question: a for a in session.scalars(select(Answer))}
    db.dispose()
    assert list(stored) == ["highlights", "revenue", "new_customers", "factors"]
    assert stored["highlights"].text == "Signed the Suzhou distributor; 91% of plan."
    assert stored["revenue"].number is not None
    assert int(stored["revenue"].number) == 560500
    assert stored["factors"].text == "Strong demand after the trade fair"
    assert TOKEN not in log.read_text()
    prompts = [m for m in user.messages if "Question 1 of 12" in m.text]
    assert len(prompts) == 1, "the month-end prompt was sent again after the restart"
