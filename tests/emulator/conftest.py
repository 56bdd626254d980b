"""The emulator, a client, a person and a bot for the emulator's tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from telegram import Bot

from bot.emulator import Emulator, EmulatorClient, SimulatedUser
from tests.emulator.bot_under_test import TOKEN, USER_ID, App, build_app

# -- fixtures ------------------------------------------------------------------------------


@pytest.fixture
async def emulator() -> AsyncIterator[Emulator]:
    """A running emulator on a free port."""
    async with Emulator(token=TOKEN) as emu:
        yield emu


@pytest.fixture
async def client(emulator: Emulator) -> AsyncIterator[EmulatorClient]:
    """The control client of the emulator."""
    async with emulator.client() as control:
        yield control


@pytest.fixture
def user(client: EmulatorClient) -> SimulatedUser:
    """A staff member."""
    return client.user(USER_ID, "Li", last_name="Wei", username="liwei", language_code="zh-hans")


@pytest.fixture
async def chat(user: SimulatedUser) -> int:
    """The id of a chat the emulator knows (the user has written to the bot)."""
    await user.send("/start")
    return USER_ID


@pytest.fixture
async def bot(emulator: Emulator) -> AsyncIterator[Bot]:
    """A bare PTB Bot, for checking single API calls."""
    async with Bot(TOKEN, base_url=emulator.base_url, base_file_url=emulator.base_file_url) as b:
        yield b


@pytest.fixture
async def app(emulator: Emulator, client: EmulatorClient) -> AsyncIterator[App]:
    """The PTB application, long polling the emulator."""
    application = build_app(emulator)
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0.0, timeout=10)
        await client.wait_until_polling(timeout=5.0)
        yield application
        await asyncio.wait_for(application.updater.stop(), 5.0)
        await application.stop()
