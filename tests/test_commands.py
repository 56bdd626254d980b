"""`bot.commands` is the one list of the bot's commands: the bot takes each of them and no
other, and Telegram's command menu shows those it lists for the menu."""

from __future__ import annotations

import pytest
from telegram.ext import CommandHandler

from bot.commands import COMMANDS
from tests.harness import running_bot

MENU = [
    ("edit", "Review and change your answers"),
    ("language", "Change the language"),
    ("digest", "Team digest (managers)"),
    ("status", "Who has submitted, now (managers)"),
    ("remind", "Remind those who have not submitted (managers)"),
    ("needs", "Needs waiting for an answer (managers, org head)"),
    ("review", "Read a member's report and comment on it (managers)"),
    ("rollup", "Every department's month end (org head)"),
    ("target", "Set a member's or the department's target (managers)"),
    ("export", "The digest as a workbook (managers)"),
    ("history", "Your last twelve months at a glance"),
    ("pause", "Pause month ends while you are away"),
    ("resume", "Take part again after a pause"),
    ("close", "Close the month end (managers)"),
    ("extend", "Move the deadline (managers)"),
    ("help", "What I do"),
]
DEFAULT_SCOPE = '{"type": "default"}'


@pytest.mark.slow
async def test_each_command_has_one_handler_and_the_menu_lists_them(database_url: str) -> None:
    async with running_bot(database_url) as bot:
        menus = await bot.client.commands()
        handled = [
            name
            for group in bot.application.handlers.values()
            for handler in group
            if isinstance(handler, CommandHandler)
            for name in handler.commands
        ]
    assert sorted(handled) == sorted(c.name for c in COMMANDS)
    assert [(c["command"], c["description"]) for c in menus.pop(f"{DEFAULT_SCOPE}|")] == MENU
    chinese = menus.pop(f"{DEFAULT_SCOPE}|zh")
    assert [c["command"] for c in chinese] == [name for name, _ in MENU]
    assert all(c["description"] not in dict(MENU).values() for c in chinese)
    assert menus == {}
