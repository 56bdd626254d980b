"""The bot's commands, for Telegram's command menu and for /help."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from bot.i18n import N_


@dataclass(frozen=True)
class Command:
    """A command: its name, what it does (catalog text), and whether only managers use it."""

    name: str
    description: str
    managers: bool = False


COMMANDS: Final = (
    Command("edit", N_("Review and change your answers")),
    Command("language", N_("Change the language")),
    Command("digest", N_("Team digest (managers)"), managers=True),
    Command("status", N_("Who has submitted, now (managers)"), managers=True),
    Command("remind", N_("Remind those who have not submitted (managers)"), managers=True),
    Command("needs", N_("Needs waiting for an answer (managers)"), managers=True),
    Command("target", N_("Set a member's target (managers)"), managers=True),
    Command("export", N_("The digest as a workbook (managers)"), managers=True),
    Command("pause", N_("Pause month ends while you are away")),
    Command("resume", N_("Take part again after a pause")),
    Command("close", N_("Close the month end (managers)"), managers=True),
    Command("extend", N_("Move the deadline (managers)"), managers=True),
    Command("help", N_("What I do")),
)
