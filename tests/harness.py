"""The real application against the emulator, on a manual clock, for end-to-end tests."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Iterable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

from pydantic import SecretStr

from bot.chat.app import build_application, polling, webhook_mode
from bot.chat.context import MonthendApp
from bot.config import SendingConfig, WebhookConfig
from bot.emulator import BotMessage, Emulator, EmulatorClient, SimulatedUser
from bot.services import directory
from bot.services.context import Services
from bot.timing.clock import ManualClock
from storage.db import Database
from tests.factories import BEFORE_OPENING, MANAGER_ID, OPENING, TOKEN, make_config
from tests.month_end import WANG
from tests.predicates import containing

WEBHOOK_SECRET = "test-webhook-secret"


@dataclass
class Running:
    """A bot (`application`) against an emulator (polling, or on `webhook` when set), and the
    means to act as its users."""

    services: Services
    clock: ManualClock
    emulator: Emulator
    client: EmulatorClient
    application: MonthendApp
    webhook: WebhookConfig | None = None

    def user(self, telegram_id: int, name: str, language_code: str = "en") -> SimulatedUser:
        """A person in a private chat with the bot."""
        first, _, last = name.partition(" ")
        return self.client.user(
            user_id=telegram_id,
            first_name=first,
            last_name=last or None,
            language_code=language_code,
        )

    def invite(self, role: str = "member", department: str = "sales") -> str:
        """An invite code for `department`, as `monthend invite` makes it."""
        from storage.models import Role

        return directory.create_invite(self.services, department, Role(role))


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def webhook_on_free_port() -> WebhookConfig:
    """Webhook settings for a bot on this machine (the emulator accepts plain http here)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    return WebhookConfig(url=url, port=port, secret=SecretStr(WEBHOOK_SECRET))


@asynccontextmanager
async def running_bot(
    database_url: str,
    now: datetime = BEFORE_OPENING,
    *,
    telegram_limits: bool = False,
    webhook: bool = False,
    extra: str = "",
) -> AsyncIterator[Running]:
    """Start the emulator and the bot; stop both when the block ends. With `telegram_limits`
    the emulator answers 429 like Telegram and the bot paces itself with the default rates;
    with `webhook` updates come by webhook instead of long polling; `extra` TOML is added to
    the config."""
    async with (
        Emulator(token=TOKEN, enforce_rate_limits=telegram_limits) as emulator,
        EmulatorClient(emulator.control_url) as client,
    ):
        db = Database.from_url(database_url)
        clock = ManualClock(now)
        config = make_config(database_url, api_url=emulator.base_url, extra=extra)
        if telegram_limits:
            config = config.model_copy(update={"sending": SendingConfig()})
        services = Services(db=db, config=config, clock=clock)
        directory.sync_config(services)
        application = build_application(services, TOKEN, outbox_idle=0.05, tick_seconds=0.05)
        hook = webhook_on_free_port() if webhook else None
        intake: AbstractAsyncContextManager[object] = (
            polling(application) if hook is None else webhook_mode(application, hook)
        )
        try:
            async with intake:
                yield Running(services, clock, emulator, client, application, hook)
        finally:
            db.dispose()


async def joined(bot: Running, members: Iterable[SimulatedUser], manager: SimulatedUser) -> None:
    """`members` join by invite and `manager` opens the bot; their greetings are read."""
    for person in members:
        await person.send(f"/start {bot.invite()}")
        await person.next_message()
    await manager.send("/start")
    await manager.next_message()


async def answered_in_chinese(bot: Running) -> tuple[SimulatedUser, SimulatedUser, BotMessage]:
    """王芳, who reads the bot in Chinese, joins and answers November's twelve questions, and
    the manager Li Wei opens the bot: both, and the review of her answers (not submitted)."""
    fang = bot.user(WANG, "王芳", "zh-hans")
    manager = bot.user(MANAGER_ID, "Li Wei")
    await fang.send(f"/start {bot.invite()}")
    await fang.next_message()
    await manager.send("/start")
    await manager.next_message()
    bot.clock.set(OPENING)
    for number in range(1, 13):
        asked = await fang.wait_for(containing(f"第 {number} 题，共 12 题"))
        if number == 12:
            await fang.press(asked, asked.button_texts()[0])
        else:
            await fang.send("签下苏州两个大客户" if number == 1 else "5")
    return fang, manager, await fang.wait_for(containing("你的月报"))
