"""The bot's commands: the one list of their names, for the handlers (bot.chat.handlers wires
each), Telegram's command menu and /help."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from bot.wording.i18n import N_


@dataclass(frozen=True)
class Command:
    """A command: its name, what it does (catalog text; empty for a command left out of the
    menu and /help), whether only managers use it, and whether the org head does too."""

    name: str
    description: str = ""
    managers: bool = False
    org_head: bool = False


START: Final = Command("start")
"""Joining with an invite code (an invite link sends it), or a greeting: not in the menu."""
EDIT: Final = Command("edit", N_("Review and change your answers"))
LANGUAGE: Final = Command("language", N_("Change the language"))
DIGEST: Final = Command("digest", N_("Team digest (managers)"), managers=True)
STATUS: Final = Command("status", N_("Who has submitted, now (managers)"), managers=True)
REMIND: Final = Command(
    "remind", N_("Remind those who have not submitted (managers)"), managers=True
)
NEEDS: Final = Command(
    "needs",
    N_("Needs waiting for an answer (managers, org head)"),
    managers=True,
    org_head=True,
)
REVIEW: Final = Command(
    "review", N_("Read a member's report and comment on it (managers)"), managers=True
)
ROLLUP: Final = Command("rollup", N_("Every department's month end (org head)"), org_head=True)
TARGET: Final = Command(
    "target", N_("Set a member's or the department's target (managers)"), managers=True
)
EXPORT: Final = Command("export", N_("The digest as a workbook (managers)"), managers=True)
PAUSE: Final = Command("pause", N_("Pause month ends while you are away"))
RESUME: Final = Command("resume", N_("Take part again after a pause"))
HISTORY: Final = Command("history", N_("Your last twelve months at a glance"))
CLOSE: Final = Command("close", N_("Close the month end (managers)"), managers=True)
EXTEND: Final = Command("extend", N_("Move the deadline (managers)"), managers=True)
HELP: Final = Command("help", N_("What I do"))

COMMANDS: Final = (
    START,
    EDIT,
    LANGUAGE,
    DIGEST,
    STATUS,
    REMIND,
    NEEDS,
    REVIEW,
    ROLLUP,
    TARGET,
    EXPORT,
    HISTORY,
    PAUSE,
    RESUME,
    CLOSE,
    EXTEND,
    HELP,
)
"""Every command the bot takes, in the menu's order."""
MENU: Final = tuple(command for command in COMMANDS if command.description)
"""The commands in Telegram's command menu and in /help."""
