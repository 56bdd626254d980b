"""What every handler reads from an update and its context: who wrote, and the services."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes, filters

from bot.services.context import Services

PRIVATE = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
"""New messages in private chats: the only place where the bot takes commands and answers."""
PRIVATE_TEXT = PRIVATE & filters.TEXT & ~filters.COMMAND
"""Private text that is not a command: an answer, or a manager's reply to a need."""


def services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    """The service layer, stored in `bot_data` when the application is built."""
    found: Services = context.bot_data["services"]
    return found


def sender(update: Update) -> tuple[int, int]:
    """The Telegram user id and chat id of the person who sent `update`."""
    assert update.effective_user is not None
    assert update.effective_chat is not None
    return update.effective_user.id, update.effective_chat.id
