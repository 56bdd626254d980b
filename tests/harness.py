"""The real application against the emulator, on a manual clock, for end-to-end tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

from bot.chat.app import build_application, polling
from bot.clock import ManualClock
from bot.emulator import Emulator, EmulatorClient, SimulatedUser
from bot.services import directory
from bot.services.context import Services
from storage.db import Database
from tests.factories import BEFORE_OPENING, TOKEN, make_config


@dataclass
class Running:
    """A bot in polling mode against an emulator, and the means to act as its users."""

    services: Services
    clock: ManualClock
    emulator: Emulator
    client: EmulatorClient

    def user(self, telegram_id: int, name: str, language_code: str = "en") -> SimulatedUser:
        """A person in a private chat with the bot."""
        first, _, last = name.partition(" ")
        return self.client.user(
            user_id=telegram_id,
            first_name=first,
            last_name=last or None,
            language_code=language_code,
        )

    def invite(self, role: str = "member") -> str:
        """An invite code for sales, as `monthend invite` makes it."""
        from storage.models import Role

        return directory.create_invite(self.services, "sales", Role(role))


@asynccontextmanager
async def running_bot(database_url: str, now: datetime = BEFORE_OPENING) -> AsyncIterator[Running]:
    """Start the emulator and the bot; stop both when the block ends."""
    async with Emulator(token=TOKEN) as emulator, EmulatorClient(emulator.control_url) as client:
        db = Database.from_url(database_url)
        clock = ManualClock(now)
        services = Services(
            db=db, config=make_config(database_url, api_url=emulator.base_url), clock=clock
        )
        directory.sync_config(services)
        application = build_application(services, TOKEN, outbox_idle=0.05, tick_seconds=0.05)
        try:
            async with polling(application):
                yield Running(services, clock, emulator, client)
        finally:
            db.dispose()
