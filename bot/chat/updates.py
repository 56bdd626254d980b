"""What every handler reads from an update and its context: who wrote, and the services."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.services.context import Services


def services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    """The service layer, stored in `bot_data` when the application is built."""
    found: Services = context.bot_data["services"]
    return found


def sender(update: Update) -> tuple[int, int]:
    """The Telegram user id and chat id of the person who sent `update`."""
    assert update.effective_user is not None
    assert update.effective_chat is not None
    return update.effective_user.id, update.effective_chat.id
