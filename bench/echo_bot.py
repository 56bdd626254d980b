"""The yardstick of bench.answer_throughput: a plain python-telegram-bot echo bot.

    .venv/bin/python -m bench.echo_bot API_URL TOKEN

An ``Application`` with one ``MessageHandler`` that replies with the text, polling as the
monthend bot does (20-second long polls, every kind of update), until SIGINT or SIGTERM.
"""

from __future__ import annotations

import sys

from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters

LONG_POLL_SECONDS = 20


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Reply with the text that came in."""
    assert update.message is not None
    assert update.message.text is not None
    await update.message.reply_text(update.message.text)


def main(api_url: str, token: str) -> None:
    """Run the echo bot against the Bot API at `api_url` until stopped."""
    application = Application.builder().token(token).base_url(api_url).build()
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    application.run_polling(timeout=LONG_POLL_SECONDS, allowed_updates=Update.ALL_TYPES)


if __name__ == "__main__":
    main(*sys.argv[1:3])
