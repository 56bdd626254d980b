"""A small bot that the emulator's tests run: it echoes text and answers a menu's buttons."""

from __future__ import annotations

import struct
import zlib
from typing import Any, TypeAlias

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.emulator import Emulator

TOKEN = "123456:TEST-TOKEN"
USER_ID = 1001
App: TypeAlias = Application[Any, Any, Any, Any, Any, Any]
MENU = InlineKeyboardMarkup(
    [
        [InlineKeyboardButton("Approve", callback_data="approve")],
        [InlineKeyboardButton("Skip", callback_data="skip")],
    ]
)


# -- handlers --------------------------------------------------------------------


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Reply with the same text."""
    message = update.effective_message
    assert message is not None
    assert message.text is not None
    await message.reply_text(message.text)


async def menu(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Offer an inline keyboard."""
    assert update.effective_message is not None
    await update.effective_message.reply_text("Choose:", reply_markup=MENU)


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer the press and edit the keyboard away."""
    query = update.callback_query
    assert query is not None
    await query.answer(f"Noted: {query.data}")
    await query.edit_message_text(f"You chose <b>{query.data}</b>", parse_mode=ParseMode.HTML)


def build_app(emulator: Emulator, token: str = TOKEN) -> App:
    """A PTB application pointed at the emulator."""
    application = (
        ApplicationBuilder()
        .token(token)
        .base_url(emulator.base_url)
        .base_file_url(emulator.base_file_url)
        .build()
    )
    application.add_handler(CommandHandler("menu", menu))
    application.add_handler(CallbackQueryHandler(on_button))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    return application


def png(width: int, height: int) -> bytes:
    """A minimal valid PNG of the given size."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"".join(b"\x00" + b"\x00" * width for _ in range(height)))
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )
