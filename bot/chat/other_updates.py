"""Updates that are not answers: edits of sent messages, messages in groups, text that cannot be
kept, and every private update as a sign that its sender can be written to again."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop, filters

from bot.chat.context import Context
from bot.chat.updates import PRIVATE_TEXT
from bot.services import directory, members
from bot.wording.i18n import N_, Translator, normalize_language, translator

WITH_NUL = filters.ChatType.PRIVATE & filters.Regex("\x00")
"""Private text (an answer, or a command with its arguments) with a NUL character in it."""


def _reader(update: Update, context: Context) -> Translator:
    user = update.effective_user
    assert user is not None
    language = directory.member_language(context.services, user.id)
    return translator(language or normalize_language(user.language_code))


async def heard_from(update: Update, context: Context) -> None:
    """Anyone who writes to the bot privately (or presses a button) is reachable again. Private
    text is left to its handler, which marks it in the transaction that handles it."""
    chat = update.effective_chat
    if PRIVATE_TEXT.check_update(update):
        return
    if update.effective_user is not None and (chat is None or chat.type == ChatType.PRIVATE):
        members.heard_from(context.services, update.effective_user.id)


async def edited(update: Update, context: Context) -> None:
    """An edited message changes no saved answer: say so, and how to change one."""
    await _tell(
        update,
        context,
        N_(
            "I keep each answer as it was sent, so editing a message does not change it. "
            "To change an answer, send /edit."
        ),
    )


async def with_nul(update: Update, context: Context) -> None:
    """Text with a NUL character is refused before any other handler sees it: no database
    keeps one alike (PostgreSQL refuses it, SQLite would store it), and a person cannot see it
    to take it out."""
    await _tell(
        update,
        context,
        N_(
            "This message has an invisible control character (NUL) in it that I cannot keep, "
            "so I did not take it. Please type it again rather than paste it."
        ),
    )
    raise ApplicationHandlerStop


async def in_group(update: Update, context: Context) -> None:
    """A command in a group: summaries are private, so the bot only works in private chats."""
    await _tell(
        update,
        context,
        N_(
            "I only work in private chats, so that nobody sees answers that are not theirs. "
            "Please write to me directly."
        ),
    )


async def _tell(update: Update, context: Context, text: str) -> None:
    """Send the catalog text `text` to the update's chat, in its sender's language."""
    assert update.effective_chat is not None
    translated = _reader(update, context).gettext(text)
    await context.bot.send_message(update.effective_chat.id, translated)
