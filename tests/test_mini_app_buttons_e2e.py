"""The buttons that open the Mini App, through the real application and the emulator: with
[web].url a member's prompt and reminder open the form, the manager's digest the dashboard,
and the bot's menu button the form; without it, none of them and no menu button call."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from bot.emulator import BotMessage
from bot.emulator.client import Button
from tests.factories import DEADLINE, MANAGER_ID, OPENING
from tests.harness import free_port, joined, running_bot
from tests.predicates import containing, question

pytestmark = pytest.mark.slow  # the whole bot against the emulator

APP = "https://monthend.example.com/app"
WEB = f'[web]\nurl = "{APP}/"\nport = {free_port()}\n'
"""The pages are served on a port of their own in polling mode: one nothing else listens on."""
FORM = Button("📝 Open the form", web_app=f"{APP}/form?lang=en")
FORM_ZH = Button("📝 打开表单", web_app=f"{APP}/form?lang=zh_Hans")
DASHBOARD = Button(
    "📊 Open the dashboard", web_app=f"{APP}/dashboard?department=sales&period=2026-11&lang=en"
)
REMINDER = [["⏰ Remind me later"], ["🌴 I'm on leave this month"]]


def opening(message: BotMessage) -> list[list[str]]:
    """The buttons' labels row by row, with the address after those that open a page."""
    return [
        [f"{b.text} {b.web_app}" if b.web_app else b.text for b in row] for row in message.buttons
    ]


def opens(button: Button) -> list[str]:
    return [f"{button.text} {button.web_app}"]


@dataclass
class Seen:
    """What the member Anna, 王芳 and their manager see of a month end."""

    menu_button: dict[str, Any]
    menu_calls: int
    prompt: BotMessage
    prompt_zh: BotMessage
    reminder: BotMessage
    digest: BotMessage
    opened: str


async def _month_end(database_url: str, extra: str) -> Seen:
    async with running_bot(database_url, extra=extra) as bot:
        anna = bot.user(102, "Anna Schmidt", "en")
        fang = bot.user(101, "王芳", "zh-hans")
        manager = bot.user(MANAGER_ID, "Li Wei")
        await joined(bot, (anna, fang), manager)
        menu_button = await anna.menu_button()

        bot.clock.set(OPENING)
        prompt = await anna.wait_for(question(1))
        prompt_zh = await fang.wait_for(containing("第 1 题"))
        opened = ""
        if prompt.buttons:
            opened = await anna.open_page(prompt, FORM.text)
        bot.clock.set(DEADLINE - timedelta(days=1, hours=8))
        reminder = await anna.wait_for(containing("⏰"))
        bot.clock.set(DEADLINE)
        digest = await manager.wait_for(containing("Month-end digest"))
        calls = (await bot.client.stats())["methods"].get("setChatMenuButton", 0)
        return Seen(menu_button, calls, prompt, prompt_zh, reminder, digest, opened)


async def test_with_a_mini_app_prompts_reminders_and_the_digest_open_its_pages(
    database_url: str,
) -> None:
    seen = await _month_end(database_url, WEB)
    assert seen.menu_button == {
        "type": "web_app",
        "text": FORM.text,
        "web_app": {"url": f"{APP}/form"},  # one for everyone: the page finds their language
    }
    assert seen.menu_calls == 1  # the default menu button, once at start-up
    assert opening(seen.prompt) == [opens(FORM)]
    assert opening(seen.prompt_zh) == [opens(FORM_ZH)]
    assert seen.opened.startswith(f"{APP}/form?lang=en#tgWebAppData=")
    assert opening(seen.reminder) == [*REMINDER, opens(FORM)]
    assert opening(seen.digest)[-1] == opens(DASHBOARD)


async def test_without_a_mini_app_nothing_opens_a_page(database_url: str) -> None:
    seen = await _month_end(database_url, "")
    assert seen.menu_button == {"type": "commands"}  # Telegram's default: the commands
    assert seen.menu_calls == 0
    assert opening(seen.prompt) == opening(seen.prompt_zh) == []
    assert opening(seen.reminder) == REMINDER
    assert all(button.web_app is None for row in seen.digest.buttons for button in row)
