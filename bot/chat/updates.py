"""What handlers read from an update: who wrote it; and how they answer a button press."""

from __future__ import annotations

import logging
from typing import Any

from telegram import Bot, CallbackQuery, Update
from telegram.error import TelegramError
from telegram.ext import filters

log = logging.getLogger(__name__)

PRIVATE = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
"""New messages in private chats: the only place where the bot takes commands and answers."""
PRIVATE_TEXT = PRIVATE & filters.TEXT & ~filters.COMMAND
"""Private text that is not a command: an answer, or a manager's reply to a need."""


def who_wrote(update: Update) -> tuple[int, int]:
    """The Telegram user id and chat id of the person who sent `update`."""
    assert update.effective_user is not None
    assert update.effective_chat is not None
    return update.effective_user.id, update.effective_chat.id


def read_update(data: dict[str, Any], bot: Bot) -> Update | None:
    """The update in `data`, or None when python-telegram-bot cannot read it (a Bot API server
    of another version sends a field in a shape it does not know): logged, so that it can be
    skipped and confirmed rather than stop every update after it."""
    try:
        return Update.de_json(data, bot)
    except Exception as exc:
        kinds = ", ".join(key for key in data if key != "update_id")
        log.error(
            "skipped update %s (%s): it cannot be read (%s: %s)",
            data.get("update_id"),
            kinds,
            type(exc).__name__,
            exc,
        )
        return None


async def answer_press(query: CallbackQuery, notice: str = "") -> None:
    """Answer a button press (stopping the client's spinner, with `notice` as a short note).

    A failure never stops the handler: a press delivered again after a crash can no longer be
    answered (400 "query is too old"), and what the handler sends next matters more."""
    try:
        await query.answer(notice or None)
    except TelegramError as exc:
        log.debug("could not answer a button press: %s", exc.message)
