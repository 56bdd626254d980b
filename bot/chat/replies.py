"""Sending the service layer's plain messages to Telegram: the handlers' replies, and the queued
messages the outbox sender (bot.chat.outbox_sender) delivers."""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from typing import Any

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Message,
    WebAppInfo,
)
from telegram.constants import ParseMode
from telegram.ext import ExtBot

from bot.chat.pacing import PACED
from bot.services.messages import Button, Keyboard, OutDocument, Outgoing, OutPhoto


def keyboard(buttons: Keyboard) -> InlineKeyboardMarkup | None:
    """An inline keyboard for `buttons`, or None when there are none."""
    if not buttons:
        return None
    return InlineKeyboardMarkup([[_inline_button(b) for b in row] for row in buttons])


def _inline_button(button: Button) -> InlineKeyboardButton:
    """A button that opens a Mini App, or one whose data comes back when pressed."""
    if button.web_app:
        return InlineKeyboardButton(button.text, web_app=WebAppInfo(button.web_app))
    return InlineKeyboardButton(button.text, callback_data=button.data)


async def send(bot: Bot, chat_id: int, message: Outgoing, *, paced: bool = False) -> Message:
    """Send one message, document or photo to `chat_id`; `paced` when its rate-limit permits
    were taken already (see bot.chat.pacing). A message's text is Telegram HTML already; a
    caption is plain text (names of departments and people), escaped here."""
    extra: dict[str, Any] = {"rate_limit_args": PACED} if paced and isinstance(bot, ExtBot) else {}
    if isinstance(message, OutDocument | OutPhoto):
        send_file = bot.send_photo if isinstance(message, OutPhoto) else bot.send_document
        return await send_file(
            chat_id,
            InputFile(message.content, filename=message.filename),
            caption=escape(message.caption, quote=False) or None,  # the one place it is HTML
            parse_mode=ParseMode.HTML,
            **extra,
        )
    return await bot.send_message(
        chat_id,
        message.text,
        parse_mode=ParseMode.HTML,
        reply_markup=keyboard(message.buttons),
        disable_web_page_preview=True,
        **extra,
    )


async def send_all(bot: Bot, chat_id: int, messages: Iterable[Outgoing]) -> None:
    """Send `messages` in order."""
    for message in messages:
        await send(bot, chat_id, message)
