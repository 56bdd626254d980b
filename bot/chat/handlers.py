"""Telegram handlers: each turns an update into a service call and sends what it returns."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Final

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot import commands
from bot.chat import manager, month_end, other_updates
from bot.chat.context import Context, Handler, MonthendApp
from bot.chat.replies import send_all
from bot.chat.updates import PRIVATE, PRIVATE_TEXT, answer_press, who_wrote
from bot.services import (
    answering,
    callback_data,
    cycles,
    directory,
    guide,
    history,
    not_answering,
    rollup,
)
from bot.wording.i18n import LANGUAGE_NAMES, LANGUAGES, normalize_language, translator

log = logging.getLogger(__name__)


async def start(update: Update, context: Context) -> None:
    """`/start [code]`: join with an invite code, or be greeted."""
    user = update.effective_user
    assert user is not None
    assert update.effective_chat is not None
    code = context.args[0] if context.args else None
    telegram_user = directory.TelegramUser(
        user.id, user.first_name, user.last_name, user.username, user.language_code
    )
    outcome = directory.join(context.services, telegram_user, code)
    await send_all(context.bot, update.effective_chat.id, outcome.replies)
    if outcome.member_id is not None:
        cycles.enroll_late_joiner(context.services, outcome.member_id)
        context.wake_sender()


async def text(update: Update, context: Context) -> None:
    """Any text in private chat: a review comment or a manager's reply to a need, after its
    button, else the answer to the question the member is at."""
    user_id, chat_id = who_wrote(update)
    message = update.effective_message
    assert message is not None
    assert message.text is not None
    result = answering.handle_text(
        context.services,
        user_id,
        message.message_id,
        message.text,
        update.effective_user.language_code if update.effective_user else None,
        message.date,
    )
    await send_all(context.bot, chat_id, result.replies)
    if result.queued:
        context.wake_sender()


async def not_text(update: Update, context: Context) -> None:
    """Stickers, photos, voice and files: ask for text instead."""
    user_id, chat_id = who_wrote(update)
    language = directory.member_language(context.services, user_id)
    if language is None:
        code = update.effective_user.language_code if update.effective_user else None
        await send_all(
            context.bot,
            chat_id,
            [not_answering.not_registered(translator(normalize_language(code)))],
        )
        return
    t = translator(language)
    await context.bot.send_message(
        chat_id, t.gettext("Please answer in text, so I can keep it in your summary.")
    )


async def edit(update: Update, context: Context) -> None:
    """`/edit`: review the answers, with buttons to change them."""
    user_id, chat_id = who_wrote(update)
    await send_all(context.bot, chat_id, answering.show_review(context.services, user_id))


async def language(update: Update, context: Context) -> None:
    """`/language`: offer the languages as buttons."""
    user_id, chat_id = who_wrote(update)
    current = directory.member_language(context.services, user_id)
    if current is None:
        await send_all(context.bot, chat_id, [not_answering.not_registered(translator("en"))])
        return
    buttons = [
        [InlineKeyboardButton(LANGUAGE_NAMES[code], callback_data=callback_data.language(code))]
        for code in LANGUAGES
    ]
    await context.bot.send_message(
        chat_id,
        translator(current).gettext("Choose your language:"),
        reply_markup=InlineKeyboardMarkup(buttons),
    )


async def chosen_language(update: Update, context: Context) -> None:
    """A language button was pressed."""
    query = update.callback_query
    assert query is not None
    code = callback_data.read_language(query.data or "")
    if code not in LANGUAGES:  # forged
        t = translator(normalize_language(query.from_user.language_code))
        await answer_press(query, t.gettext("This button is out of date."))
        return
    reply = directory.set_language(context.services, query.from_user.id, code)
    await answer_press(query)
    if reply is not None:
        await _close_buttons(query)
        await send_all(context.bot, query.from_user.id, [reply])


async def button(update: Update, context: Context) -> None:
    """A questionnaire button: skip, pick, edit or submit."""
    query = update.callback_query
    assert query is not None
    result = answering.handle_button(
        context.services, query.from_user.id, query.data or "", query.id
    )
    await answer_press(query, result.notice)
    if result.close_buttons:
        await _close_buttons(query)
    await send_all(context.bot, query.from_user.id, result.replies)
    if result.queued:
        context.wake_sender()


async def _close_buttons(query: CallbackQuery) -> None:
    try:
        await query.edit_message_reply_markup(None)
    except BadRequest as exc:  # already without buttons, or too old to edit
        log.debug("could not remove buttons: %s", exc.message)


async def help_text(update: Update, context: Context) -> None:
    """`/help` and unknown commands: what the bot does, and the commands the writer may use."""
    user_id, chat_id = who_wrote(update)
    code = update.effective_user.language_code if update.effective_user else None
    await send_all(context.bot, chat_id, [guide.help_message(context.services, user_id, code)])


COMMAND_HANDLERS: Final[Mapping[commands.Command, Handler]] = {
    commands.START: start,
    commands.EDIT: edit,
    commands.LANGUAGE: language,
    commands.HELP: help_text,
    commands.PAUSE: month_end.pause,
    commands.RESUME: month_end.resume,
    commands.ROLLUP: manager.command(rollup.requested_rollup),
    commands.HISTORY: manager.command(history.history),
    **manager.HANDLERS,
}
"""The handler of each command in `bot.commands.COMMANDS`."""


def add_handlers(application: MonthendApp) -> None:
    """Register every handler on `application`."""
    application.add_handler(
        MessageHandler(other_updates.WITH_NUL, other_updates.with_nul), group=-2
    )
    application.add_handler(TypeHandler(Update, other_updates.heard_from), group=-1)
    application.add_handlers(
        [
            *(CommandHandler(c.name, run, filters=PRIVATE) for c, run in COMMAND_HANDLERS.items()),
            MessageHandler(PRIVATE_TEXT, text),
            MessageHandler(PRIVATE & filters.COMMAND, help_text),
            MessageHandler(PRIVATE & ~filters.TEXT, not_text),
            MessageHandler(
                filters.ChatType.PRIVATE & filters.UpdateType.EDITED, other_updates.edited
            ),
            MessageHandler(filters.ChatType.GROUPS & filters.COMMAND, other_updates.in_group),
            CallbackQueryHandler(chosen_language, pattern=callback_data.LANGUAGE_PATTERN),
            CallbackQueryHandler(manager.need_button, pattern=callback_data.NEED_PATTERN),
            CallbackQueryHandler(
                manager.older_needs_button, pattern=callback_data.OLDER_NEEDS_PATTERN
            ),
            CallbackQueryHandler(manager.comment_button, pattern=callback_data.COMMENT_PATTERN),
            CallbackQueryHandler(manager.verdict_button, pattern=callback_data.VERDICT_PATTERN),
            CallbackQueryHandler(manager.ask_button, pattern=callback_data.ASK_PATTERN),
            CallbackQueryHandler(manager.browse_button, pattern=callback_data.BROWSE_PATTERN),
            CallbackQueryHandler(button),
        ]
    )
